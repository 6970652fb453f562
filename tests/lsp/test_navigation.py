"""``studio lsp`` hover, definition, references, rename, outline, folding, formatting and quick fixes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from runtime.lock import BuildLock
from tests.conftest import LUCA, ROOT, copy_example
from tests.lsp.helpers import Session, apply, position_of
from tests.runtime.helpers import build_json, tiny_copy

PAPER_BOAT = ROOT / "examples" / "paper-boat"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    s = Session(tmp_path_factory.mktemp("lsp"))
    yield s
    s.close()


def opened(session: Session, path: Path, text: str | None = None) -> tuple[str, str]:
    text = path.read_text() if text is None else text
    uri = session.open(path, text)
    session.diagnostics(uri)
    return uri, text


def hover_text(session: Session, uri: str, text: str, needle: str, offset: int = 0, nth: int = 0) -> str:
    h = session.hover(uri, *position_of(text, needle, offset, nth))
    assert h is not None and isinstance(h.contents, lsp.MarkupContent)
    return h.contents.value


def test_hover_on_an_element_shows_its_description_and_reference_picture(session: Session, luca: Path) -> None:
    uri, text = opened(session, luca / "film.studio.yaml")
    shown = hover_text(session, uri, text, "@Luca peeks", 2)  # a trigger in action text
    assert shown.startswith("**Luca**: character `@Luca`")
    assert "a shy sea-monster boy" in shown and "voice: `luca`" in shown
    picture = (luca / "refs" / "luca.png").resolve()
    assert f"`refs/luca.png`: {picture}" in shown and f"]({picture.as_uri()})" in shown
    assert hover_text(session, uri, text, "character: Alberto", 12).startswith("**Alberto**: character")
    assert "built-in" in hover_text(session, uri, text, "image: procedural", 8)
    assert "- backend: `procedural`" in hover_text(session, uri, text, "models: {image: sketch}", 17)
    assert "- pitch: `62`" in hover_text(session, uri, text, "voice: luca", 8)


def test_hover_on_a_shot_shows_prompt_seed_duration_and_cache_status(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    code, _, err = build_json(project)
    assert code == 0, err
    s = Session(project)
    try:
        path = project / "film.studio.yaml"
        uri, text = opened(s, path)
        with BuildLock(project / ".studio", wait=False):  # a build is running: the server never waits for it
            dare = hover_text(s, uri, text, "- id: dare", 7)
        assert dare.startswith("**shot `cove/dare`**: close up, auto: ")
        assert "(rendered)" in dare  # exact: the shot's clip exists
        assert "Alberto (a bold boy with messy hair and a yellow tank top) grins" in dare
        assert "| speech 2 | cached |" in dare and "| shot | cached |" in dare
        assert "seed `" in dare and "image model `procedural`" in dare
        edited = text.replace("@Luca peeks over a rock", "@Luca peeks over a big rock")
        version = s.replace_all(uri, edited)
        s.diagnostics(uri, version)
        peek = hover_text(s, uri, edited, "peeks over a big rock")  # on the action text
        assert "peeks over a big rock at the water, medium shot" in peek
        assert ('| keyframe | stale: param action: "Luca peeks over a rock at the water" -> "Luca peeks over a '
                'big') in peek
        assert "| motion | stale: input keyframe:cove/peek changed |" in peek
        new_line = edited.replace('line: "Silenzio, Bruno!"', 'line: "Silenzio, Bruno! Silenzio!"')
        version = s.replace_all(uri, new_line)
        s.diagnostics(uri, version)
        dare = hover_text(s, uri, new_line, "- id: dare", 7)
        assert "auto: about " in dare and "exact once its speech is rendered" in dare
        assert "| speech 2 | stale: param text" in dare
    finally:
        s.close()


def test_an_auto_shot_is_exact_from_its_rendered_speech(tmp_path: Path) -> None:
    project = tiny_copy(LUCA, tmp_path / "luca")
    code, _, err = build_json(project)
    assert code == 0, err
    s = Session(project)
    try:
        path = project / "film.studio.yaml"
        text = path.read_text().replace("type: close_up", "type: medium")  # the clip is stale, the speech is not
        uri, text = opened(s, path, text)
        dare = hover_text(s, uri, text, "- id: dare", 7)
        assert "(from the rendered speech)" in dare and "| speech 1 | cached |" in dare
        assert "| shot | stale: input motion:cove/dare changed |" in dare
    finally:
        s.close()


def test_definition_and_references_of_every_kind_of_name(session: Session, luca: Path) -> None:
    uri, text = opened(session, luca / "film.studio.yaml")

    def at(needle: str, offset: int = 0, nth: int = 0) -> tuple[int, int]:
        return position_of(text, needle, offset, nth)

    element = at("  Luca:", 2)
    for place in (at("@Luca peeks", 3), at("character: Luca", 12), at('trigger: "@Luca"', 11)):
        found = session.definition(uri, *place)
        assert (found.range.start.line, found.range.start.character) == element
    assert session.definition(uri, *at("location: Cove", 11)).range.start.line == at("  Cove:")[0]
    assert session.definition(uri, *at("voice: alberto", 8)).range.start.line == at("  alberto:\n    engine")[0]
    assert session.definition(uri, *at("style: storybook", 8)).range.start.line == at("  storybook:")[0]
    assert session.definition(uri, *at("models: {image: sketch}", 17)).range.start.line == at("  sketch:")[0]
    assert session.definition(uri, *at("image: procedural", 8)) is None  # built in
    refs = session.references(uri, *element, declaration=False)
    lines = sorted({r.range.start.line for r in refs})
    assert len(refs) == 5  # trigger, three @Luca in actions, one dialogue line
    assert at("character: Luca")[0] in lines and at("@Luca and @Alberto leap")[0] in lines
    assert len(session.references(uri, *element, declaration=True)) == 6


def test_definition_and_references_in_the_dsl(session: Session, tmp_path: Path) -> None:
    copy_example(PAPER_BOAT, tmp_path / "boat")
    uri, text = opened(session, tmp_path / "boat" / "film.studio")

    def line_of(needle: str, offset: int = 0, nth: int = 0) -> int:
        found = session.definition(uri, *position_of(text, needle, offset, nth))
        assert found is not None, needle
        return int(found.range.start.line)

    nina = position_of(text, "character Nina")[0]
    assert line_of("    NINA (curious)", 5) == nina  # a cue
    assert line_of("@Nina presses", 2) == nina  # a trigger
    assert line_of("  voice nina", 8) == position_of(text, "voice nina:")[0]
    assert line_of("  location Kitchen", 11) == position_of(text, "location Kitchen:")[0]
    assert line_of("style gouache\n", 7) == position_of(text, "style gouache:")[0]
    assert line_of("models image=rough", 14) == position_of(text, "model rough:")[0]
    cues = [r for r in session.references(uri, *position_of(text, "character Nina", 11), declaration=False)
            if text.split("\n")[r.range.start.line].startswith("    NINA")]
    assert len(cues) == 2  # NINA (curious), NINA (excited)


def test_rename_an_element_everywhere_as_one_edit(session: Session, luca: Path) -> None:
    uri, text = opened(session, luca / "film.studio.yaml")
    prepared = session.prepare_rename(uri, *position_of(text, "@Alberto grins", 2))
    assert isinstance(prepared, lsp.PrepareRenamePlaceholder) and prepared.placeholder == "Alberto"
    edit = session.rename(uri, *position_of(text, "@Alberto grins", 2), "Bruno")
    assert edit is not None and edit.changes is not None and list(edit.changes) == [uri]
    renamed = apply(text, list(edit.changes[uri]))
    assert "Alberto" not in renamed
    assert '  Bruno:\n    kind: character\n    trigger: "@Bruno"' in renamed
    assert "@Bruno grins" in renamed and "character: Bruno" in renamed and "@Luca and @Bruno leap" in renamed
    version = session.replace_all(uri, renamed)
    assert session.diagnostics(uri, version) == []


def test_rename_in_the_dsl_keeps_cue_capitals(session: Session, tmp_path: Path) -> None:
    copy_example(PAPER_BOAT, tmp_path / "boat")
    uri, text = opened(session, tmp_path / "boat" / "film.studio")
    edit = session.rename(uri, *position_of(text, "    NINA (curious)", 5), "Mia")
    assert edit is not None and edit.changes is not None
    renamed = apply(text, list(edit.changes[uri]))
    assert "character Mia: @Mia" in renamed and "    MIA (curious)" in renamed and "    MIA (excited)" in renamed
    assert "@Mia presses her nose" in renamed and "Nina" not in renamed.split("SCENE", 1)[1]
    version = session.replace_all(uri, renamed)
    assert session.diagnostics(uri, version) == []


@pytest.mark.parametrize("new, why", [("Alberto", "already exists"), ("9lives", "not a valid name"),
                                      ("Lu-ca", "cannot be a trigger")])
def test_a_rename_that_would_break_the_project_is_refused(session: Session, luca: Path, new: str, why: str) -> None:
    uri, text = opened(session, luca / "film.studio.yaml")
    with pytest.raises(Exception, match=why):
        session.rename(uri, *position_of(text, "character: Luca", 12), new)


def test_shots_and_tracks_are_not_renamed(session: Session, luca: Path) -> None:
    uri, text = opened(session, luca / "film.studio.yaml")
    with pytest.raises(Exception, match="cannot be renamed"):
        session.prepare_rename(uri, *position_of(text, "- id: dare", 7))


def test_outline_and_folding(session: Session, luca: Path, tmp_path: Path) -> None:
    uri, text = opened(session, luca / "film.studio.yaml")
    outline = {s.name: s for s in session.symbols(uri)}
    assert [c.name for c in outline["cove"].children] == ["establishing", "peek", "dare"]
    assert [c.name for c in outline["jump"].children] == ["leap"]
    assert outline["cove"].detail == "EXT. HIDDEN COVE - DAY"
    assert [c.name for c in outline["elements"].children] == ["Luca", "Alberto", "Cove"]
    folds = {(f.start_line, f.end_line) for f in session.folding(uri)}
    dare = position_of(text, "- id: dare")[0]
    assert (dare, position_of(text, "emotion: determined")[0]) in folds
    copy_example(PAPER_BOAT, tmp_path / "boat")
    uri, text = opened(session, tmp_path / "boat" / "film.studio")
    outline = {s.name: s for s in session.symbols(uri)}
    assert [c.name for c in outline["kitchen"].children] == ["window", "fold", "ready"]
    fold = position_of(text, "[fold]")[0]
    assert (fold, position_of(text, "full of air.")[0]) in {(f.start_line, f.end_line) for f in session.folding(uri)}


@pytest.mark.parametrize("example", [LUCA, PAPER_BOAT], ids=["yaml", "studio"])
def test_formatting_is_studio_fmt(session: Session, tmp_path: Path, example: Path) -> None:
    project = tmp_path / example.name
    copy_example(example, project)
    path = next(p for p in project.iterdir() if p.name.startswith("film."))
    messy = path.read_text().replace("  fps: 24", "  fps:    24").replace("fps 24  resolution", "fps 24     resolution")
    messy = messy.replace("[fold] close_up auto dolly_in", "[fold]   dolly_in  close_up auto")
    path.write_text(messy)
    uri, text = opened(session, path, messy)
    edits = session.formatting(uri)
    assert edits
    subprocess.run([sys.executable, "-m", "runtime.cli", "fmt", str(path)], cwd=ROOT, check=True, capture_output=True)
    assert apply(messy, edits) == path.read_text()


def test_formatting_refuses_text_with_syntax_errors(session: Session, luca: Path) -> None:
    path = luca / "film.studio.yaml"
    uri, text = opened(session, path, path.read_text().replace("  fps: 24", "  fps: [24"))
    assert session.formatting(uri) is None
    assert any("fix the syntax errors first" in m for m in session.messages)


def test_a_quick_fix_for_every_suggestion(session: Session, luca: Path) -> None:
    path = luca / "film.studio.yaml"
    text = (path.read_text().replace("type: close_up", "type: closeup").replace("  fps: 24", "  fsp: 24")
            .replace("@Luca peeks", "@Lucca peeks")
            .replace("references: [refs/luca.png]", "references: [refs/lucaa.png]")
            .replace("voice: alberto", "voice: albert"))
    uri, text = opened(session, path, text)
    diagnostics = session.diagnostics(uri)
    with_suggestion = [d for d in diagnostics if "did you mean" in d.message]
    assert {str(d.code) for d in with_suggestion} == {"E201", "E205", "E301", "E302", "E305"}
    fixed = text
    titles = []
    for d in with_suggestion:
        [action] = session.code_actions(uri, [d])
        assert action.kind == lsp.CodeActionKind.QuickFix and action.is_preferred
        titles.append(action.title)
        fixed = apply(fixed, list(action.edit.changes[uri]))
        version = session.replace_all(uri, fixed)
        session.diagnostics(uri, version)
    assert sorted(titles) == sorted(["Change to 'close_up'", "Change to 'fps'", "Change to '@Luca'",
                                     "Change to 'luca.png'", "Change to 'alberto'"])
    assert fixed == path.read_text()
    assert session.diagnostics(uri) == []


def test_a_quick_fix_in_the_dsl(session: Session, tmp_path: Path) -> None:
    copy_example(PAPER_BOAT, tmp_path / "boat")
    path = tmp_path / "boat" / "film.studio"
    uri, text = opened(session, path, path.read_text().replace("[fold] close_up", "[fold] closeup"))
    [d] = session.diagnostics(uri)
    [action] = session.code_actions(uri, [d])
    assert action.title == "Change to 'close_up'"
    assert apply(text, list(action.edit.changes[uri])) == path.read_text()
