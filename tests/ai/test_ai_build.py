"""`studio build` with the AI backends, end to end in a subprocess, on the tiny-ai example."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ai.conftest import AI_MISSING, HAVE_AI
from tests.conftest import ROOT, copy_example
from tests.runtime.helpers import build_json

TINY_AI = ROOT / "examples" / "tiny-ai"
pytestmark = pytest.mark.skipif(not HAVE_AI, reason=AI_MISSING)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    project = tmp_path_factory.mktemp("ai") / "tiny-ai"
    copy_example(TINY_AI, project)
    code, summary, err = build_json(project)
    assert code == 0, err
    return project, summary


def test_tiny_ai_builds_a_film_and_rebuilds_nothing(built: tuple[Path, dict]) -> None:
    project, first = built
    assert not first["failed"] and Path(first["outputs"]["film"]).is_file()
    assert first["model_loads"] == 5  # tiny-sd, tiny-ltx, tiny-vits, procedural, espeak: each once
    report = {t["id"]: t for t in json.loads((project / "build" / "report.json").read_text())["tasks"]}
    assert report["keyframe:pier/talk"]["meta"]["pipeline"] == "StableDiffusionPipeline"
    assert report["keyframe:pier/talk"]["meta"]["loras"] == ["element:Mira"]
    assert report["keyframe:pier/talk"]["meta"]["references"] == 1  # Mira's picture, through the IP-Adapter
    sea = report["keyframe:pier/sea"]["meta"]
    assert sea["pipeline"] == "StableDiffusionImg2ImgPipeline" and sea["start_strength"] == 0.75
    assert sea["steps"] == 3 and sea["references"] == 0
    assert report["motion:pier/sea"]["meta"]["chunks"] == [9, 9, 9, 9]
    assert report["motion:pier/sea"]["meta"]["end"] == {"chunk": 3, "frame": 8}  # end: {shot: pier/wide}
    assert report["speech:pier/talk/1"]["meta"]["sample_rate"] == 16000
    code, second, err = build_json(project)
    assert code == 0 and second["executed"] == [] and second["model_loads"] == 0, err


NOOP_PROBE = """
import io, json, sys, contextlib
from runtime.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    codes = [main([command, sys.argv[1]]) for command in ("check", "plan", "build")]
heavy = sorted(m for m in ("torch", "diffusers", "transformers") if m in sys.modules)
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def test_check_plan_and_noop_build_import_no_ml_library(built: tuple[Path, dict]) -> None:
    project, _ = built
    done = subprocess.run([sys.executable, "-c", NOOP_PROBE, str(project)], capture_output=True, text=True, cwd=ROOT)
    assert json.loads(done.stdout) == {"codes": [0, 0, 0], "heavy": []}, done.stderr


def test_new_weights_rerender_only_that_models_tasks(built: tuple[Path, dict], tmp_path: Path) -> None:
    project = tmp_path / "tiny-ai"
    shutil.copytree(built[0], project)  # the store (.studio) comes along: everything is cached
    weights = project / "models" / "tiny-ltx" / "transformer" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01
    weights.write_bytes(bytes(data))
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**9))  # same size: the mtime must tell
    code, summary, err = build_json(project)
    assert code == 0, err
    assert sorted(summary["executed"]) == sorted([
        "motion:pier/talk", "motion:pier/sea", "shot:pier/talk", "shot:pier/sea", "transition:pier/wide",
        "film", "timeline"])  # not the subtitles: words and timing did not change
    assert summary["model_loads"] == 1


ALTERNATING = """\
studio: 1
project:
  title: Alternating
  fps: 8
  resolution: [64, 48]
  vram_gb: 0.0006                  # room for one tiny model at a time
  models: {{image: a, video: procedural}}
models:
  a: {{backend: diffusers, kind: image, weights: {sd}, vram_gb: 0.0004, params: {{steps: 1, guidance: 4}}}}
  b: {{backend: diffusers, kind: image, weights: {sd}, vram_gb: 0.0004, params: {{steps: 1, guidance: 6}}}}
output: {{storyboard: false, subtitles: none}}
scenes:
  - id: s
    shots:
{shots}
"""


def test_an_alternating_two_model_project_loads_each_model_once(tmp_path: Path) -> None:
    project = tmp_path / "alt"
    shutil.copytree(TINY_AI / "models" / "tiny-sd", project / "sd")
    shots = "\n".join(f"      - {{id: x{i}, duration: 0.25, models: {{image: {'ab'[i % 2]}}}}}" for i in range(4))
    (project / "film.studio.yaml").write_text(ALTERNATING.format(sd="sd", shots=shots))
    code, summary, err = build_json(project)
    assert code == 0, err
    assert summary["model_loads"] == 3  # a, b and procedural (video): the lower bound


def test_a_broken_model_fails_its_tasks_with_a_message(tmp_path: Path) -> None:
    project = tmp_path / "broken"
    (project / "sd").mkdir(parents=True)
    (project / "sd" / "README.txt").write_text("the weights were never copied here")
    text = ALTERNATING.format(sd="sd", shots="      - {id: x0, duration: 0.25}")
    (project / "film.studio.yaml").write_text(text)
    code, summary, err = build_json(project)
    assert code == 1
    assert summary["failed"][0]["id"] == "keyframe:s/x0"
    assert "weights not found or unreadable: 'sd'" in summary["failed"][0]["message"]
    assert "Traceback" not in err
