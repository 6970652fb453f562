"""A keyframe's ``setting.time`` (the scene heading's light) paints the sky whatever the location's words say:
one location element serves every time of day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backends import procedural
from backends.base import BackendError, Result, TaskRun
from tests.backends.test_procedural import COVE, H, keyframe_params, pixels


def run(tmp_path: Path, name: str, time: object = None, **params: object) -> Result:
    if time is not None:
        params["setting"] = {"interior": False, "time": time, "place": ""}
    workdir = tmp_path / name
    workdir.mkdir()
    task = TaskRun(id="keyframe:s/a", kind="keyframe", params=keyframe_params(characters=[], props=[], **params),
                   inputs={}, files={}, workdir=workdir)
    return procedural.run(task, procedural.load({"backend": "procedural", "params": {"look": "flat"}}))


def sky(result: Result) -> np.ndarray:
    """The mean colour of the frame's top tenth (sky in a wide shot)."""
    return pixels(result.outputs["image"])[: H // 10].reshape(-1, 3).mean(axis=0)


def test_the_heading_light_paints_the_sky(tmp_path: Path) -> None:
    day, night = sky(run(tmp_path, "day")), sky(run(tmp_path, "night", time="night"))
    dusk = sky(run(tmp_path, "dusk", time="dusk"))
    assert night.sum() < day.sum() / 2  # a dark sky
    assert dusk[2] < day[2] - 40 and not np.allclose(dusk, night, atol=8)  # a dimmer, violet sky
    # the heading wins over the location's own words ('a moonlit cove' at dawn is drawn at dawn)
    moonlit = {**COVE, "description": "a moonlit cove"}
    assert sky(run(tmp_path, "moon", location=moonlit)).sum() < day.sum() / 2
    dawn = run(tmp_path, "moon-dawn", location=moonlit, time="dawn")
    assert np.allclose(sky(dawn), sky(run(tmp_path, "dawn", time="dawn")), atol=8)


@pytest.mark.parametrize("time", ["noon", "", 3])
def test_an_unknown_time_is_refused(tmp_path: Path, time: object) -> None:
    with pytest.raises(BackendError, match="time"):
        run(tmp_path, "a", time=time)
