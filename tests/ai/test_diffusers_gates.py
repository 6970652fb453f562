"""Consistency gates on the tiny SD pipeline, scored by a tiny random CLIP (built from a config, saved and
loaded with from_pretrained); element masks from the real layout task."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from backends import procedural
from backends.base import Artifact, TaskRun
from compiler.plan import LAYOUT_PARAMS
from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import keyframe, model

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)
STEPS = 2


@pytest.fixture(scope="module")
def sd(tiny: dict[str, Path]) -> Any:
    import backends.diffusers as backend

    handle = backend.load(model("tiny-sd", "image", tiny["sd"], steps=STEPS, guidance=5.0))
    yield handle
    backend.unload(handle)


@pytest.fixture(scope="module")
def clip(tiny: dict[str, Path]) -> Any:
    """The gates' embed model, loaded as the runtime's model manager loads it (backends.transformers)."""
    import backends.transformers as backend

    handle = backend.load(model("tiny-clip", "embed", tiny["clip"]))
    yield handle
    backend.unload(handle)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    path = tmp_path_factory.mktemp("refs") / "luca.png"
    Image.new("RGB", (40, 40), (40, 90, 200)).save(path)
    return path


def gated(tmp_path: Path, clip: Any, reference: Path, seed: int, identity: float | None,
          prompt: float | None, retries: int, progress: Any = None) -> TaskRun:
    luca = {"name": "Luca", "description": "a boy in a blue shirt", "color": None, "references": ["ref:Luca/1"]}
    staged: dict[str, Any] = {"action": "Luca waves", "shot_type": "medium", "location": None, "characters": [luca],
                              "props": [], "setting": {"interior": False, "time": "day", "place": "COVE"},
                              "speakers": []}
    gates = {"identity": identity, "prompt": prompt, "retries": retries,
             "model": {"name": "clip", "backend": "transformers", "identity": "tiny-clip", "weights": None,
                       "revision": None}}
    files = {"ref:Luca/1": reference}
    task = keyframe(tmp_path, seed, files=files, progress=progress, gates=gates, **staged)
    work = tmp_path / f"layout-{seed}-{len(list(tmp_path.iterdir()))}"
    work.mkdir()
    laid = procedural.run(TaskRun("layout:s/a", "layout", {k: v for k, v in task.params.items() if k in LAYOUT_PARAMS},
                                  {}, {"ref:Luca/1": reference}, work), {})
    return dataclasses.replace(task, inputs={"layout": Artifact(laid.outputs, laid.meta)}, models={"gates": clip})


def test_a_gate_that_always_fails_renders_exactly_retries_more_and_keeps_the_best(
        sd: Any, clip: Any, reference: Path, tmp_path: Path) -> None:
    import backends.diffusers as backend
    from backends.diffusers._gates import seeds

    reports: list[tuple[int, int]] = []
    task = gated(tmp_path, clip, reference, 7, identity=1.0, prompt=1.0, retries=2,
                 progress=lambda done, total: reports.append((done, total)))
    result = backend.run(task, sd)
    g = result.meta["gates"]
    assert [t["seed"] for t in g["tries"]] == seeds(7, 2) and seeds(7, 2)[0] == 7
    assert len(g["tries"]) == 3 and not g["passed"] and "no try passed" in g["warning"]
    assert reports[-1] == (3 * STEPS, 3 * STEPS)  # exactly two extra renders of STEPS steps each
    for t in g["tries"]:
        assert -1 <= t["prompt"] <= 1 and -1 <= t["identity"] <= 1 and set(t["elements"]) == {"Luca"}
        assert t["passed"] is False
    margins = [min(t["prompt"] - 1.0, t["identity"] - 1.0) for t in g["tries"]]
    assert g["kept"] == margins.index(max(margins)) and g["seed"] == g["tries"][g["kept"]]["seed"]
    again = backend.run(gated(tmp_path, clip, reference, 7, identity=1.0, prompt=1.0, retries=2), sd)
    assert again.meta["gates"] == g and again.outputs["image"].read_bytes() == result.outputs["image"].read_bytes()
    kept_alone = backend.run(keyframe(tmp_path, g["seed"], **{k: v for k, v in task.params.items()
                                                                if k not in ("seed", "gates")},
                                      files=dict(task.files)), sd)
    assert kept_alone.outputs["image"].read_bytes() == result.outputs["image"].read_bytes()


def test_a_gate_that_passes_keeps_the_first_try(sd: Any, clip: Any, reference: Path,
                                                tmp_path: Path) -> None:
    import backends.diffusers as backend

    result = backend.run(gated(tmp_path, clip, reference, 7, identity=-1.0, prompt=None, retries=3), sd)
    g = result.meta["gates"]
    assert len(g["tries"]) == 1 and g["passed"] and g["kept"] == 0 and g["tries"][0]["prompt"] is None
    assert "warning" not in g


def test_the_identity_is_scored_inside_the_elements_mask(sd: Any, clip: Any, reference: Path,
                                                         tmp_path: Path) -> None:
    import backends.diffusers as backend

    masked = gated(tmp_path, clip, reference, 9, identity=-1.0, prompt=None, retries=0)
    whole = dataclasses.replace(masked, inputs={}, workdir=tmp_path / "whole")
    whole.workdir.mkdir()
    a, b = backend.run(masked, sd), backend.run(whole, sd)
    assert a.outputs["image"].read_bytes() == b.outputs["image"].read_bytes()
    assert a.meta["gates"]["tries"][0]["identity"] != b.meta["gates"]["tries"][0]["identity"]


def test_batched_equals_unbatched(sd: Any, clip: Any, reference: Path, tmp_path: Path) -> None:
    import backends.diffusers as backend

    tasks = [gated(tmp_path, clip, reference, seed, identity=1.0, prompt=None, retries=1) for seed in (3, 4)]
    batched = backend.run_batch(tasks, sd)
    single = [backend.run(gated(tmp_path, clip, reference, seed, identity=1.0, prompt=None, retries=1), sd)
              for seed in (3, 4)]
    assert [r.outputs["image"].read_bytes() for r in batched] == [r.outputs["image"].read_bytes() for r in single]
    assert [r.meta["gates"] for r in batched] == [r.meta["gates"] for r in single]


def test_the_embed_model_comes_from_the_runtime(sd: Any, clip: Any, reference: Path, tmp_path: Path) -> None:
    import backends.diffusers as backend
    from backends.base import BackendError
    from backends.transformers.embed import Embedder

    assert isinstance(clip, Embedder) and clip.memory_gb() > 0
    task = dataclasses.replace(gated(tmp_path, clip, reference, 7, identity=0.0, prompt=None, retries=0), models={})
    with pytest.raises(BackendError, match="embed model was not loaded"):
        backend.run(task, sd)
