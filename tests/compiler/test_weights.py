"""Model identity in cache keys, and check-time diagnostics of AI model configurations.

No ML library is needed: the compiler reads weight files' digests and the Hugging Face cache's
ref files only. The weights here are a few bytes standing in for real ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backends import CATALOG
from compiler import compile_project
from tests.compiler.helpers import codes, compile_text, keys
from tests.conftest import ROOT, copy_example

TINY_AI = ROOT / "examples" / "tiny-ai"
COMMIT_A = "a" * 40
COMMIT_B = "b" * 40


def project(models: str, extra: str = "", shot_models: str = "") -> str:
    return f"""\
studio: 1
project:
  title: Weights
  models: {{image: img, video: procedural, speech: espeak}}
models:
{models}
{extra}
scenes:
  - id: s
    shots:
      - {{id: a, duration: 1, action: "@Ana waves"{shot_models}}}
      - {{id: b, duration: 1, action: "the sea"}}
elements:
  Ana: {{kind: character, description: a girl}}
"""


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    return cache


def cache_repo(hub: Path, repo: str, commit: str, ref: str = "main") -> None:
    refs = hub / f"models--{repo.replace('/', '--')}" / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / ref).write_text(commit)


def test_repo_revision_comes_from_the_hub_cache(tmp_path: Path, hub: Path) -> None:
    text = project("  img: {backend: diffusers, kind: image, weights: org/model}")
    cache_repo(hub, "org/model", COMMIT_A)
    first = compile_text(tmp_path / "p", text)
    assert "W311" not in codes(first)
    model = first.plan.tasks["keyframe:s/a"].model
    assert model.config()["revision"] == COMMIT_A
    cache_repo(hub, "org/model", COMMIT_B)  # a newer snapshot of main was downloaded
    second = compile_text(tmp_path / "p", text)
    changed = {t for t in keys(first) if keys(first)[t] != keys(second)[t]}
    assert {"keyframe:s/a", "keyframe:s/b"} <= changed
    assert not any(t.startswith("speech:") for t in changed)
    assert str(hub / "models--org--model" / "refs" / "main") in second.film.watched


def test_a_commit_revision_is_used_as_is_and_an_uncached_repo_warns(tmp_path: Path, hub: Path) -> None:
    pinned = compile_text(tmp_path / "p", project(
        f"  img: {{backend: diffusers, kind: image, weights: org/model, revision: '{COMMIT_A}'}}"))
    assert pinned.ok and "W311" not in codes(pinned)
    assert pinned.plan.tasks["keyframe:s/a"].model.config()["revision"] == COMMIT_A
    missing = compile_text(tmp_path / "q", project("  img: {backend: diffusers, kind: image, weights: org/absent}"))
    assert missing.ok and codes(missing) == ["W311"]
    warning = missing.diagnostics[0]
    assert "not in the local Hugging Face cache" in warning.message
    assert warning.hint.startswith("download it with `huggingface-cli download org/absent`")


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def test_changing_local_weights_changes_only_that_models_keys(tmp_path: Path) -> None:
    copy = copy_example(TINY_AI, tmp_path / "tiny-ai")
    before = compile_project(copy, backends=CATALOG)
    assert before.ok, before.diagnostics
    flip_byte(copy / "models" / "tiny-ltx" / "transformer" / "diffusion_pytorch_model.safetensors")
    after = compile_project(copy, backends=CATALOG)
    changed = {t for t, k in keys(before).items() if keys(after)[t] != k}
    ltx = {t.id for t in before.plan.tasks.values() if t.model is not None and t.model.name == "tiny-ltx"}
    assert ltx and ltx <= changed
    for tid in changed - ltx:  # everything else that changed only depends on an LTX task
        assert before.plan.tasks[tid].model is None, tid
    assert not any(t.startswith(("keyframe:", "speech:")) for t in changed)


def test_local_weights_enter_keys_by_content_not_path(tmp_path: Path) -> None:
    one = compile_project(copy_example(TINY_AI, tmp_path / "one"), backends=CATALOG)
    other = copy_example(TINY_AI, tmp_path / "elsewhere" / "two")
    shutil.move(other / "models", other / "weights")
    text = (other / "film.studio.yaml").read_text().replace("models/tiny", "weights/tiny")
    (other / "film.studio.yaml").write_text(text)
    two = compile_project(other, backends=CATALOG)
    assert keys(one) == keys(two)
    config = two.plan.tasks["keyframe:pier/talk"].model.config()
    assert config["path"] == str((other / "weights" / "tiny-sd").resolve())


def test_lora_files_enter_keyframe_keys(tmp_path: Path) -> None:
    copy = copy_example(TINY_AI, tmp_path / "tiny-ai")
    before = compile_project(copy, backends=CATALOG)
    talk = before.plan.tasks["keyframe:pier/talk"]
    assert talk.params["loras"] == [{"owner": "element:Mira", "scale": 0.8, "file": "lora:element:Mira",
                                     "repo": None, "revision": None}]
    assert "lora:element:Mira" in talk.files
    assert "loras" not in before.plan.tasks["keyframe:pier/sea"].params  # Mira is not in that shot
    flip_byte(copy / "models" / "tiny-lora" / "lora.safetensors")
    after = compile_project(copy, backends=CATALOG)
    changed = {t for t, k in keys(before).items() if keys(after)[t] != k}
    assert {"keyframe:pier/wide", "keyframe:pier/talk"} <= changed
    assert "keyframe:pier/sea" not in changed


def test_missing_and_outside_weights_are_errors(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "w.safetensors").write_bytes(b"x")
    result = compile_text(tmp_path / "p", project(
        "  img: {backend: diffusers, kind: image, weights: models/nothing-here.safetensors}\n"
        "  vid: {backend: diffusers, kind: video, weights: ../outside/w.safetensors}",
        shot_models=", models: {video: vid}"))
    assert sorted(codes(result)) == ["E305", "E306"]
    e305 = next(d for d in result.diagnostics if d.code == "E305")
    assert e305.message == "weights not found: 'models/nothing-here.safetensors'"


@pytest.mark.parametrize(("models", "expected"), [
    ("  img: {backend: diffusers, kind: speech, weights: org/x}", "E310"),  # (and E308: img is used for images)
    ("  img: {backend: diffusers, kind: image}", "E311"),
    ("  img: {backend: diffusers, kind: image, weights: org/x}\n"
     "  vid: {backend: diffusers, kind: video, weights: org/v, params: {ip_adapter: h94/IP-Adapter}}", "E312"),
    ("  img: {backend: diffusers, kind: image, weights: org/x, params: {scheduler: eulr}}", "E313"),
    ("  img: {backend: diffusers, kind: image, weights: org/x, params: {stpes: 4}}", "W313"),
])
def test_model_configuration_diagnostics(tmp_path: Path, hub: Path, models: str, expected: str) -> None:
    for repo in ("org/x", "org/v", "h94/IP-Adapter"):
        cache_repo(hub, repo, COMMIT_A)
    result = compile_text(tmp_path / "p", project(models))
    assert [c for c in codes(result) if c != "E308"] == [expected], result.diagnostics
    d = next(d for d in result.diagnostics if d.code == expected)
    if expected == "E313":
        assert "did you mean 'euler'" in d.message
    if expected == "W313":
        assert d.hint == "did you mean 'steps'?"
    if expected == "E312":
        assert "cannot use ip_adapter" in d.message


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "[1, .inf]", "{deep: {er: .nan}}"])
def test_non_finite_parameters_are_diagnosed_not_crashed_on(tmp_path: Path, value: str) -> None:
    """Free-form parameters enter keys: a number with no spelling there is an error at its place."""
    text = project(f"  img: {{backend: procedural, kind: image, params: {{x: {value}}}}}")
    result = compile_text(tmp_path / "p", text)
    assert codes(result) == ["W313", "E204"], result.diagnostics  # 'x' is no procedural parameter, nor a number
    d = result.diagnostics[1]
    assert "is not a finite number" in d.message and d.span.line == 6, d
    assert text.splitlines()[5][d.span.column - 1:].lstrip("-").startswith(".")  # at the number itself
    checked = compile_text(tmp_path / "q", project(
        "  img: {backend: diffusers, kind: image, weights: org/x, params: {steps: .inf}}"))
    assert [c for c in codes(checked) if c not in ("E308", "W311")] == ["E313"]  # said once, by the table


def test_lora_on_a_model_that_ignores_it_warns_once(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "ana.safetensors").write_bytes(b"lora")
    text = project("  img: {backend: procedural, kind: image}").replace(
        "description: a girl}", "description: a girl, lora: {weights: ana.safetensors}}")
    result = compile_text(tmp_path / "p", text)
    assert codes(result) == ["W312"]
    assert "loras" not in result.plan.tasks["keyframe:s/a"].params


def test_pattern_shots_need_the_procedural_video_model(tmp_path: Path, hub: Path) -> None:
    cache_repo(hub, "org/v", COMMIT_A)
    shutil.copy(ROOT / "examples" / "luca" / "audio" / "theme.wav", tmp_path / "theme.wav")
    text = project("  img: {backend: procedural, kind: image}\n"
                   "  vid: {backend: diffusers, kind: video, weights: org/v}",
                   extra="audio:\n  - {id: theme, file: theme.wav}",
                   shot_models=", models: {video: vid}, pattern: {track: theme}")
    (tmp_path / "film.studio.yaml").write_text(text)
    result = compile_project(tmp_path / "film.studio.yaml", backends=CATALOG)
    assert codes(result) == ["E312"]


def test_scheduler_names_agree_with_the_backend() -> None:
    from backends.diffusers._load import SCHEDULERS
    from compiler.modelcheck import SCHEDULERS as CHECKED

    assert list(SCHEDULERS) == list(CHECKED)
