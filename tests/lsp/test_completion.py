"""``studio lsp`` completion: the format's keys and values, the project's names where they fit, files
under the project, the DSL's words; from the text being typed, even while it does not parse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from tests.conftest import LUCA, ROOT, copy_example
from tests.lsp.helpers import Session, apply, position_of

PAPER_BOAT = ROOT / "examples" / "paper-boat"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    s = Session(tmp_path_factory.mktemp("lsp"))
    yield s
    s.close()


@pytest.fixture(scope="module")
def luca_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("projects") / "luca"
    copy_example(LUCA, dest)
    (dest / "refs" / "alberto.jpg").write_bytes((dest / "refs" / "luca.png").read_bytes())
    (dest / "refs" / "notes.txt").write_text("not a picture")
    return dest


@pytest.fixture(scope="module")
def boat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("projects") / "paper-boat"
    copy_example(PAPER_BOAT, dest)
    return dest


def labels_at(session: Session, path: Path, text: str, needle: str, typed: str = "", after: str = "") -> list[str]:
    """Labels offered with the cursor after ``typed``, written (then ``after``) just after ``needle``: the
    text while someone types, often not valid."""
    edited = text.replace(needle, needle + typed + after, 1)
    uri = session.open(path, text)
    session.diagnostics(uri)
    session.replace_all(uri, edited)
    line, col = position_of(edited, needle + typed, len(needle + typed))
    return [i.label for i in session.complete(uri, line, col)]


def test_keys_of_the_format_where_a_key_goes(session: Session, luca_copy: Path) -> None:
    path = luca_copy / "film.studio.yaml"
    text = path.read_text()
    offered = labels_at(session, path, text, "        camera: {move: tilt_down}\n", "        ", "\n")
    assert {"seed", "dialogue", "start", "notes", "style"} <= set(offered)
    assert not {"camera", "type", "transition", "models"} & set(offered)  # the shot has them already
    assert labels_at(session, path, text, "  fps: 24\n", "  res", "\n") == []  # set below
    assert labels_at(session, path, text, "  fps: 24\n", "  desc", "\n") == ["description"]


def test_a_key_offers_its_description(session: Session, luca_copy: Path) -> None:
    path = luca_copy / "film.studio.yaml"
    text = path.read_text().replace("  fps: 24\n", "  fps: 24\n  vr")
    uri = session.open(path, text)
    line, col = position_of(text, "  vr", 4)
    [item] = session.complete(uri, line, col)
    assert item.label == "vram_gb" and item.detail and "GB" in item.detail
    assert isinstance(item.text_edit, lsp.TextEdit) and apply(text, [item.text_edit]).count("  vram_gb: ") == 1


def test_enum_values(session: Session, luca_copy: Path) -> None:
    path = luca_copy / "film.studio.yaml"
    text = path.read_text()
    assert labels_at(session, path, text, "        type: wide\n", "        type: c", "\n") == ["close_up"]
    assert set(labels_at(session, path, text, "camera: {move: ", "")) >= {"pan_left", "dolly_in", "shake"}
    assert labels_at(session, path, text, "transition: {type: ", "dis") == ["dissolve"]
    assert labels_at(session, path, text, "  subtitles: soft\n", "  crf: 20\n  caption: t", "\n") == ["true"]


def test_names_of_the_project_where_they_are_expected(session: Session, luca_copy: Path) -> None:
    path = luca_copy / "film.studio.yaml"
    text = path.read_text()
    assert labels_at(session, path, text, "          - character: Luca\n", "          - character: ", "\n") == \
        ["Luca", "Alberto"]  # characters only, not the location Cove
    assert labels_at(session, path, text, "    voice: luca\n", "  Bruno:\n    voice: ", "\n") == ["luca", "alberto"]
    assert set(labels_at(session, path, text, "            emotion: playful\n", "            voice: ", "\n")) == \
        {"luca", "alberto"}
    assert labels_at(session, path, text, "        models: {image: ", "") == ["procedural", "sketch"]
    assert labels_at(session, path, text, "    video: procedural\n", "    speech: ", "\n") == ["espeak"]
    assert labels_at(session, path, text, "    heading: EXT. CLIFF ABOVE THE COVE - CONTINUOUS\n",
                     "    location: ") == ["Cove"]
    assert labels_at(session, path, text, "    engine: espeak\n    language: en\n", "    engine: ", "\n") == ["espeak"]


def test_triggers_after_an_at_sign_in_action_text(session: Session, luca_copy: Path) -> None:
    path = luca_copy / "film.studio.yaml"
    text = path.read_text()
    needle = 'action: "@Luca peeks over a rock'
    offered = labels_at(session, path, text, needle, " near @")
    assert offered == ["Alberto", "Cove", "Luca"]
    assert labels_at(session, path, text, needle, " near @Al") == ["Alberto"]


def test_files_under_the_project(session: Session, luca_copy: Path) -> None:
    path = luca_copy / "film.studio.yaml"
    text = path.read_text()
    assert labels_at(session, path, text, "references: [", "") == ["refs/alberto.jpg", "refs/luca.png"]
    assert labels_at(session, path, text, "    file: ", "") == ["audio/theme.wav"]
    (luca_copy / "build").mkdir(exist_ok=True)
    (luca_copy / "build" / "k.png").write_bytes(b"")  # build outputs are not offered
    assert labels_at(session, path, text, "        type: wide\n", "        start: {image: ", "\n") == \
        ["refs/alberto.jpg", "refs/luca.png"]


def test_the_dsl_words_and_names(session: Session, boat: Path) -> None:
    path = boat / "film.studio"
    text = path.read_text()
    every = labels_at(session, path, text, "[fold] close_up auto dolly_in", " ")
    assert {"wide", "zoom_in", "auto", "->", "seed"} <= set(every)
    shot = labels_at(session, path, text, "[fold] close_up auto dolly_in", " pan_")
    assert shot == ["pan_left", "pan_right"]
    assert "extreme_close_up" in labels_at(session, path, text, "[fold] ", "ex")
    assert labels_at(session, path, text, "to=0.75}] -> ", "f") == ["fade"]
    assert labels_at(session, path, text, "[ready] medium 2.5s", " location=") == ["Kitchen", "Street"]
    assert labels_at(session, path, text, "[ready] medium 2.5s", " image=") == ["procedural", "rough"]
    assert labels_at(session, path, text, "    TOMAS (fond)\n    Boats made from the news always float. The news is "
                     "full of air.\n", "\n    ", "\n") == ["NINA", "TOMAS"]
    assert labels_at(session, path, text, "    NINA (", "exc") == ["excited"]
    assert labels_at(session, path, text, "    TOMAS (", "fo") == ["fond"]  # the voice's own emotion
    assert labels_at(session, path, text, "@Tomas folds a sheet of newspaper into a @", "B") == ["Boat"]
    assert labels_at(session, path, text, "  voice ", "t") == ["tomas"]
    assert labels_at(session, path, text, "  references ", "refs/n") == ["refs/nina.png"]
    assert labels_at(session, path, text, "voice nina: ", "") == ["espeak"]
    assert labels_at(session, path, text, "music rain: ", "audio/") == ["audio/rain.wav"]
    assert labels_at(session, path, text, "SCENE street: EXT. STEEP STREET - CONTINUOUS\n  location ", "") == \
        ["Kitchen", "Street"]
    assert "character" in labels_at(session, path, text, "prop Boat: @Boat \"a small boat folded from newspaper\"\n"
                                    "  color #f4f1de\n", "")  # a line of its own: the definition words


def test_style_names_and_the_pattern_styles(session: Session, luca_copy: Path, boat: Path) -> None:
    path = luca_copy / "film.studio.yaml"
    text = path.read_text()
    extra = "  sketchy:\n    prompt: \"{{ action }}, pencil\"\n"
    text = text.replace("styles:\n", "styles:\n" + extra, 1)
    assert labels_at(session, path, text, "        type: wide\n", "        style: ", "\n") == ["sketchy", "storybook"]
    assert labels_at(session, path, text, "  seed: 7\n", "  style: s", "\n") == ["sketchy", "storybook"]
    dsl = boat / "film.studio"
    dsl_text = dsl.read_text()
    assert labels_at(session, dsl, dsl_text, "[ready] medium 2.5s", " style=") == ["gouache"]
    assert labels_at(session, dsl, dsl_text, "pattern={track=rain, style=", "") == ["cppn", "fractal", "noise"]
    assert labels_at(session, dsl, dsl_text, "pattern={track=", "") == ["rain", "splash"]
