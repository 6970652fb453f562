"""``studio new`` through the local backend on a random-weight model: the phases' grammars make
every draft check clean; nothing is written when it cannot be; the same request gives the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler import compile_project
from runtime.cli import main
from tests.conftest import ROOT


def new(*args: str) -> int:
    return main(["new", *args])


def test_a_draft_checks_clean_and_reads_like_a_project(tiny_llm: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "film"
    assert new("A lighthouse keeper befriends a seagull", "-o", str(out), "--llm", f"hf:{tiny_llm}",
               "--length", "8") == 0
    err = capsys.readouterr().err
    assert "cast:" in err and "tokens" in err and "wrote" in err
    path = out / "film.studio.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=project.schema.json\n")
    assert json.loads((out / "project.schema.json").read_text())["title"] == "studio project"
    result = compile_project(out)
    assert result.ok and result.diagnostics == []
    assert result.film is not None and result.film.shots
    characters = {n for n, e in result.spec.elements.items() if e.kind == "character"}  # type: ignore[union-attr]
    assert characters and all(ln.character in characters for s in result.film.shots for ln in s.lines)


def test_the_same_request_gives_the_same_bytes_and_dsl_works(tiny_llm: Path, tmp_path: Path) -> None:
    texts = []
    for name in ("a", "b"):
        assert new("Two robots learn to dance", "-o", str(tmp_path / name), "--llm", f"hf:{tiny_llm}",
                   "--length", "6", "--seed", "5", "--format", "studio") == 0
        texts.append((tmp_path / name / "film.studio").read_bytes())
    assert texts[0] == texts[1]
    assert compile_project(tmp_path / "a").diagnostics == []
    assert not (tmp_path / "a" / "project.schema.json").exists()


def test_inside_the_checkout_the_modeline_points_at_the_schema(tiny_llm: Path) -> None:
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(dir=ROOT / "tests") as scratch:
        out = Path(scratch) / "film"
        try:
            assert new("A snail races a leaf", "-o", str(out), "--llm", f"hf:{tiny_llm}", "--length", "4") == 0
            first = (out / "film.studio.yaml").read_text().split("\n", 1)[0]
            assert first == "# yaml-language-server: $schema=../../../schemas/project.schema.json"
        finally:
            shutil.rmtree(out, ignore_errors=True)


def test_a_treatment_keeps_the_authors_scenes_and_names(tiny_llm: Path, tmp_path: Path) -> None:
    treatment = tmp_path / "treatment.txt"
    treatment.write_text("The Lamp\n\nEXT. ROCKY SHORE - NIGHT\nWaves crash. OLD TOM climbs to the lighthouse. "
                         "Tom is tired.\n\nINT. LIGHTHOUSE - NIGHT\nTom finds NELL asleep by the lamp. Nell wakes.\n")
    assert new("-o", str(tmp_path / "film"), "--from", str(treatment), "--llm", f"hf:{tiny_llm}",
               "--length", "8") == 0
    result = compile_project(tmp_path / "film")
    assert result.ok and result.spec is not None
    assert result.spec.project.title == "The Lamp"
    assert [s.heading for s in result.spec.scenes] == ["EXT. ROCKY SHORE - NIGHT", "INT. LIGHTHOUSE - NIGHT"]
    assert [s.location for s in result.spec.scenes] == ["RockyShore", "Lighthouse"]
    characters = [n for n, e in result.spec.elements.items() if e.kind == "character"]
    assert characters and set(characters) <= {"Tom", "Nell"}
    assert characters == sorted(characters, key=["Tom", "Nell"].index)


def test_usage_and_refusals_are_diagnostics_and_write_nothing(tiny_llm: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("STUDIO_LLM", raising=False)
    out = tmp_path / "film"
    assert new("x", "-o", str(out)) == 2
    assert "error[E501]: no language model" in capsys.readouterr().err
    assert new("x", "-o", str(out), "--llm", "gpt4") == 2
    assert "error[E503]" in capsys.readouterr().err
    assert new("x", "-o", str(out), "--llm", f"hf:{tiny_llm}", "--length", "0") == 2
    assert new("x", "-o", str(out), "--llm", f"hf:{tiny_llm}", "--from", str(tmp_path / "none.txt")) == 1
    assert "error[E508]" in capsys.readouterr().err
    assert not out.exists()
    out.mkdir()
    (out / "mine.studio").write_text("studio 1\n")
    assert new("x", "-o", str(out), "--llm", f"hf:{tiny_llm}") == 1
    assert "error[E507]" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["mine.studio"]
    monkeypatch.setenv("STUDIO_LLM", f"hf:{tmp_path / 'no-model'}")
    assert new("x", "-o", str(tmp_path / "other")) == 2
    assert "error[E503]" in capsys.readouterr().err

