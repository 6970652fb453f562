"""The gates' embed model is a model like the others: the runtime's model manager loads it once, counts it
against the memory budget, evicts it, and counts its loads (examples/tiny-ai with gates scored by
examples/tiny-control's tiny CLIP)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.ai.helpers import model
from tests.conftest import ROOT
from tests.runtime.helpers import build_json, outputs_bytes, studio

pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)

GATES = """  gates:
    model: tiny-clip
    identity: {min: 0.99}
    prompt: {min: 1.0}
    retries: 1
"""
CLIP = """  tiny-clip:
    backend: transformers
    kind: embed
    weights: models/tiny-clip
"""


def gated_tiny_ai(dest: Path, budget: str | None = None) -> Path:
    """tiny-ai with project gates and the tiny CLIP; with ``budget``, a memory budget that holds one model
    (every model estimated just under it)."""
    shutil.copytree(ROOT / "examples" / "tiny-ai", dest, ignore=shutil.ignore_patterns(".studio", "build"))
    shutil.copytree(ROOT / "examples" / "tiny-control" / "models" / "tiny-clip", dest / "models" / "tiny-clip")
    film = dest / "film.studio.yaml"
    text = film.read_text()
    # procedural motion: the video model is not what is tested here, and it would take most of the time
    text = text.replace("  models: {image: tiny-sd, video: tiny-ltx,",
                        GATES + "  models: {image: tiny-sd, video: procedural,")
    text = text.replace("\nmodels:\n", "\nmodels:\n" + CLIP)
    if budget is not None:
        text = text.replace("  seed: 11\n", f"  seed: 11\n  vram_gb: {budget}\n")
        text = re.sub(r"(\n  tiny-[a-z]+:[^\n]*\n    backend: [a-z]+\n)", r"\1    vram_gb: 0.0000008\n", text)
    film.write_text(text)
    return dest


def plan_json(project: Path) -> dict:
    done = studio("plan", str(project), "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_manager_holds_the_embed_model_with_its_image_model_and_evicts_it(tiny: dict[str, Path]) -> None:
    """The real tiny models through the runtime's model manager, under a budget smaller than any of them."""
    from backends import load_backend
    from backends.transformers.embed import Embedder
    from runtime.models import ModelManager

    sd = ("tiny-sd", "diffusers", model("tiny-sd", "image", tiny["sd"]), 1e-7)
    clip = ("tiny-clip", "transformers", model("tiny-clip", "embed", tiny["clip"]), 1e-7)
    vits = ("tiny-vits", "transformers", model("tiny-vits", "speech", tiny["vits"]), 1e-7)
    manager = ModelManager(1e-6, load_backend)
    try:
        with manager.hold([sd, clip]) as (_, embed):  # both, over the budget: neither evicts the other
            assert isinstance(embed, Embedder) and embed.model is not None
        with manager.hold([sd, clip]):
            assert manager.loads == 2  # still resident: loaded once
        with manager.hold([vits]):
            assert embed.model is None  # evicted (unloaded) to make room, like any model
        with manager.hold([sd, clip]) as (_, again):
            assert again is not embed and again.model is not None
        assert manager.loads == 5  # tiny-sd, tiny-clip, tiny-vits, then tiny-sd and tiny-clip again
    finally:
        manager.close()


def test_the_plan_counts_the_embed_model(tmp_path: Path) -> None:
    """The plan's load figures (no model loads here): the embed model is one of the models to load."""
    planned = plan_json(gated_tiny_ai(tmp_path / "free"))
    assert planned["model_loads"] == planned["model_loads_lower_bound"] == 5
    tight = plan_json(gated_tiny_ai(tmp_path / "tight", budget="0.000001"))
    assert tight["model_loads"] == tight["model_loads_lower_bound"] == 5  # keyframes (and their scorer) together


@pytest.fixture(scope="module")
def unlimited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    project = gated_tiny_ai(tmp_path_factory.mktemp("gated") / "tiny-ai")
    planned = plan_json(project)
    code, summary, err = build_json(project)
    assert code == 0 and not summary["failed"], err
    return project, planned, summary


@pytest.mark.slow
def test_the_embed_models_loads_are_counted_and_meet_the_bound(unlimited: tuple[Path, dict, dict]) -> None:
    project, planned, summary = unlimited
    # tiny-sd, tiny-vits, procedural, espeak and the gates' tiny-clip: each loaded once
    assert planned["model_loads"] == planned["model_loads_lower_bound"] == 5
    assert summary["model_loads"] == summary["model_loads_lower_bound"] == 5
    report = json.loads((project / "build" / "report.json").read_text())
    assert report["model_loads"] == 5 and set(report["gates"]) == {"keyframe:pier/wide", "keyframe:pier/talk",
                                                                   "keyframe:pier/sea"}
    for tries in report["gates"].values():  # a prompt score of 1.0 is never reached: one retry each
        assert len(tries["tries"]) == 2 and tries["passed"] is False
    tasks = {t["id"]: t["meta"] for t in report["tasks"]}
    assert tasks["keyframe:pier/talk"]["reference_masks"] == ["Mira"]  # Mira's picture, inside her layout mask


@pytest.mark.slow
def test_a_budget_for_one_model_evicts_and_reloads_with_the_same_bytes(unlimited: tuple[Path, dict, dict],
                                                                     tmp_path: Path) -> None:
    project = gated_tiny_ai(tmp_path / "tiny-ai", budget="0.000001")
    planned = plan_json(project)
    code, summary, err = build_json(project)
    assert code == 0 and not summary["failed"], err
    assert summary["model_loads"] == planned["model_loads"] >= summary["model_loads_lower_bound"] == 5
    assert outputs_bytes(project / "build") == outputs_bytes(unlimited[0] / "build")
