"""``studio edit`` through the local backend on a random-weight model, then ``undo``/``redo``: the
edit checks clean and keeps every comment outside it; undo and redo restore exact bytes, several
steps deep; a change made by hand meanwhile is never overwritten."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler import compile_project
from runtime.cli import main

PROJECT = "film.studio.yaml"


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def test_edits_check_clean_keep_comments_and_undo_redo_byte_exact(tiny_llm: Path, luca: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = luca / PROJECT
    versions = [path.read_bytes()]
    for instruction in ("make the peek shot a close up", "give Luca one more line", "rename Alberto to Bruno"):
        assert main(["edit", str(luca), instruction, "--llm", f"hf:{tiny_llm}"]) == 0
        out, err = capsys.readouterr()
        versions.append(path.read_bytes())
        assert out.startswith(f"--- a/{PROJECT}\n+++ b/{PROJECT}\n") and "edited" in err and "undo" in err
        result = compile_project(luca)
        assert result.ok, result.diagnostics
        assert "could not be kept" not in err  # only the edited parts of the file were rewritten
        removed = {line[1:].strip() for line in out.splitlines() if line.startswith("-") and not line.startswith("---")}
        kept = comment_lines(path.read_text())
        assert all(c in kept for c in comment_lines(versions[-2].decode()) if c not in removed)
    assert len(set(versions)) == len(versions)
    for expected in reversed(versions[:-1]):  # three steps back
        assert main(["undo", str(luca)]) == 0
        assert path.read_bytes() == expected
    assert main(["undo", str(luca)]) == 1
    assert "error[E513]: nothing to undo" in capsys.readouterr().err
    for expected in versions[1:]:  # and forward again
        assert main(["redo", str(luca)]) == 0
        assert path.read_bytes() == expected
    assert main(["redo", str(luca)]) == 1


def test_a_change_by_hand_is_never_overwritten(tiny_llm: Path, luca: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = luca / PROJECT
    assert main(["edit", str(luca), "shorten the first shot", "--llm", f"hf:{tiny_llm}"]) == 0
    by_hand = path.read_bytes() + b"# a note written by hand\n"
    path.write_bytes(by_hand)
    capsys.readouterr()
    assert main(["undo", str(luca)]) == 1
    assert "error[E512]" in capsys.readouterr().err
    assert path.read_bytes() == by_hand
    assert main(["edit", str(luca), "shorten the last shot", "--llm", f"hf:{tiny_llm}"]) == 0  # journal goes on
    assert main(["undo", str(luca)]) == 0 and path.read_bytes() == by_hand
    assert main(["undo", str(luca)]) == 1 and path.read_bytes() == by_hand  # the hand edit blocks the older undo


def test_dry_run_writes_nothing_and_bad_files_are_refused(tiny_llm: Path, luca: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = luca / PROJECT
    before = path.read_bytes()
    assert main(["edit", str(luca), "add a gull", "--llm", f"hf:{tiny_llm}", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("---") and "--dry-run" in err and path.read_bytes() == before
    assert main(["undo", str(luca)]) == 1  # nothing was recorded
    path.write_text("studio: 1\nproject: {title: [\n")
    capsys.readouterr()
    assert main(["edit", str(luca), "anything", "--llm", f"hf:{tiny_llm}"]) == 1
    err = capsys.readouterr().err
    assert "error[E101]" in err and "error[E511]" in err and "Traceback" not in err


def test_the_projects_own_language_model_is_used_without_llm(tiny_llm: Path, luca: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STUDIO_LLM", raising=False)
    shutil.copytree(tiny_llm, luca / "models" / "writer")
    path = luca / PROJECT
    text = path.read_text().replace("models:                   # named", "models:\n  writer: {backend: transformers, "
                                    "kind: llm, weights: models/writer}\n                          # named", 1)
    path.write_text(text)
    assert compile_project(luca).ok
    assert main(["edit", str(luca), "make it rain"]) == 0
