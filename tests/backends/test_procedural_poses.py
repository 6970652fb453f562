"""Golden keyframes: every verb of the pose vocabulary, drawn and compared pixel for pixel.

Each verb is blocked on one character (Mira stands by as the one they point at, hug or fight) in a
small keyframe: a wide shot for bodies, a medium shot for faces and heads. The pictures are in
``tests/golden/poses``; after an intended change to the drawing, regenerate them with
``STUDIO_UPDATE_GOLDEN=1 python -m pytest tests/backends/test_procedural_poses.py`` and look at them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from backends import procedural
from backends.base import TaskRun
from backends.procedural.staging.lexicon import VERBS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "poses"
W, H = 128, 72


def element(name: str, description: str, color: str | None = None) -> dict[str, Any]:
    return {"name": name, "description": description, "color": color, "references": []}


def keyframe(verb: str, tmp_path: Path) -> np.ndarray:
    close = VERBS[verb][0] in ("face", "head")
    params = {
        "width": W, "height": H, "seed": 1, "prompt": "", "negative": "", "action": "",
        "shot_type": "medium" if close else "wide", "palette": [], "caption": False,
        "location": element("Room", "a plain room"), "props": [],
        "characters": [element("Luca", "a boy in a red shirt and blue jeans"), element("Mira", "a girl in green")],
        "setting": {"interior": True, "time": "day", "place": "ROOM"},
        "blocking": [{"who": "Luca", "pose": verb, "at": 0.4, "look_at": "Mira"}, {"who": "Mira", "at": 0.78}],
    }  # fmt: skip
    task = TaskRun(f"keyframe:poses/{verb}", "keyframe", params, {}, {}, tmp_path)
    result = procedural.run(task, procedural.load({"backend": "procedural", "params": {}}))
    assert result.meta["verbs"]["Luca"] == [verb]
    with Image.open(result.outputs["image"]) as im:
        return np.asarray(im.convert("RGB"))


@pytest.mark.parametrize("verb", list(VERBS))
def test_verb_keyframe_matches_its_golden(verb: str, tmp_path: Path) -> None:
    image = keyframe(verb, tmp_path)
    golden = GOLDEN / f"{verb}.png"
    if os.environ.get("STUDIO_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(golden, optimize=True)
    with Image.open(golden) as im:
        expected = np.asarray(im.convert("RGB"))
    assert image.shape == expected.shape
    diff = np.abs(image.astype(int) - expected).max(axis=-1)
    assert diff.max() == 0, f"{verb}: {int((diff > 0).sum())} pixels differ (see the docstring to regenerate)"


def test_every_verb_draws_a_different_picture(tmp_path: Path) -> None:
    """The goldens themselves: no two verbs look the same."""
    pictures = {verb: (GOLDEN / f"{verb}.png").read_bytes() for verb in VERBS}
    seen: dict[bytes, str] = {}
    for verb, data in pictures.items():
        assert seen.setdefault(data, verb) == verb, f"{verb} draws exactly like {seen[data]}"
