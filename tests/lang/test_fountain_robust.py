"""Fountain import holds for any input: line endings, encodings, limits of the format, random scripts
(which import into a project that checks clean or are refused with a coded error), and stable ids
(inserting a paragraph anywhere re-keys only the shots next to it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import compile_project
from studio_lang.fountain.importer import decode_script, import_fountain
from studio_lang.source import SourceFile
from studio_lang.yaml.syntax import reads_as
from studio_lang.yaml.write import emit_yaml_data
from tests.lang.helpers import FOUNTAIN
from tests.lang.test_fountain import shots

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def from_bytes(data: bytes) -> tuple[dict[str, Any] | None, list[str]]:
    source, diagnostics = decode_script(data, "s.fountain")
    if source is None:
        return None, [d.code for d in diagnostics]
    project, found = import_fountain(source, title="s")
    return project, [d.code for d in [*diagnostics, *found]]


def checks_clean(tmp_path: Path, project: dict[str, Any]) -> None:
    text = emit_yaml_data(project)
    assert reads_as(text, project)
    path = tmp_path / "film.studio.yaml"
    path.write_text(text, encoding="utf-8")
    result = compile_project(path)
    assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics]


# --- line endings and encodings -------------------------------------------------------------------------
def test_every_line_ending_reads_the_same() -> None:
    text = (FOUNTAIN / "coverage.fountain").read_text(encoding="utf-8")
    unix, codes = from_bytes(text.encode())
    assert unix is not None and codes == []
    for newline in ("\r\n", "\r", "\u2028"):
        again, codes = from_bytes(text.replace("\n", newline).encode())
        assert again == unix and codes == [], repr(newline)
    assert len(unix["scenes"]) == 1 and len(shots(unix)) == 12  # CR-only no longer collapses into one heading


def test_windows_1252_and_latin_1_are_read_with_a_warning_naming_the_encoding() -> None:
    text = ("Title: Caf\u00e9\n\nINT. CAF\u00c9 - NIGHT\n\nZO\u00c9 waits \u2014 it\u2019s late.\n\n"
            "ZO\u00c9\nVoil\u00e0.\n")
    utf8, codes = from_bytes(text.encode("utf-8"))
    assert codes == []
    cp1252, codes = from_bytes(text.encode("cp1252"))
    assert cp1252 == utf8 and codes == ["W123"]
    source, diagnostics = decode_script(text.encode("cp1252"), "s.fountain")
    assert "Windows-1252" in diagnostics[0].message and diagnostics[0].span is not None
    assert diagnostics[0].span.line == 1
    latin = text.replace("\u2014", "-").replace("\u2019", "'")
    _, diagnostics = decode_script(latin.encode("latin-1"), "s.fountain")
    assert "Latin-1" in diagnostics[0].message
    _, diagnostics = decode_script(latin.encode("latin-1") + b"\x81", "s.fountain")  # undefined in Windows-1252
    assert "Latin-1" in diagnostics[0].message
    utf16, codes = from_bytes(text.encode("utf-16"))
    assert utf16 == utf8 and codes == ["W123"]


def test_binary_data_is_refused_with_a_code() -> None:
    assert from_bytes(b"INT. A\n\n\x00\x01\x02\xff") == (None, ["E120"])
    assert from_bytes(b"\xff\xfeA\x00\x00\xd8") == (None, ["E120"])  # a BOM, then no UTF-16


def test_control_characters_are_dropped() -> None:
    project, codes = from_bytes(b"INT. A - DAY\n\nA \x1b[31mred\x1b[0m light\x07 blinks.\x7f\n")
    assert project is not None and shots(project)[0]["action"] == "A [31mred[0m light blinks."


# --- limits of the format -------------------------------------------------------------------------------
def test_201_lines_in_a_row_never_make_a_shot_over_the_limit(tmp_path: Path) -> None:
    speeches = "\n\n".join(f"{'ANA' if n % 2 else 'BO'}\nLine {n}." for n in range(201))
    text = f"INT. A - DAY\n\nANA and BO talk.\n\n{speeches}\n"
    for coverage in ("auto", "none"):
        project, diagnostics = import_fountain(SourceFile("s.fountain", text), coverage=coverage)
        assert diagnostics == []
        assert sum(len(s.get("dialogue", [])) for s in shots(project)) == 201
        assert max(len(s.get("dialogue", [])) for s in shots(project)) <= (4 if coverage == "auto" else 200)
        checks_clean(tmp_path, project)


def test_long_text_is_shortened_within_the_limit(tmp_path: Path) -> None:
    action = ("x@y " * 1300).strip()  # 5,199 characters; each '@y' spells out to ' at y': longer still
    speech = "BO\n" + "word " * 1200 + "\n"
    project, diagnostics = import_fountain(SourceFile("s.fountain", f"INT. A\n\n{action}\n\n{speech}"),
                                           coverage="none")
    assert [d.code for d in diagnostics] == ["W122", "W122"]
    first = shots(project)[0]
    assert len(first["action"]) <= 5000 and len(first["dialogue"][0]["line"]) <= 5000
    checks_clean(tmp_path, project)


def test_a_script_the_format_cannot_hold_is_refused() -> None:
    text = "".join(f"INT. ROOM {n}\n\n" for n in range(10_001))
    _, diagnostics = import_fountain(SourceFile("s.fountain", text))
    assert [d.code for d in diagnostics if d.is_error] == ["E121"]


# --- any input ------------------------------------------------------------------------------------------
_PIECES = ["\n", "\n\n", "\r", "\r\n", "INT. ", "EXT. ", "I./E. ", "- NIGHT", "#1A#", ".", "!", "@", "^", "~", ">",
           "<", "=", "===", "#", "[[", "]]", "/*", "*/", "*", "**", "_", "(", ")", "(V.O.)", "(O.S.)", "(beat)",
           "(laughs)", "LUCA", "ANANTH.", "АННА", "王", " ", "  ", "\t", "CUT TO:", "THE END", "SUPER:", "Title:",
           "Series: x", "@Luca", "a@b.com", "é", "\u2028", "\x85", "\x1b", "moves toward", "CLOSE ON",
           "yes", "on", "no", "2*3*4", "snake_case", "x" * 300]


@st.composite
def fountain_bytes(draw: st.DrawFn) -> bytes:
    words = st.sampled_from(_PIECES) | st.text(st.characters(exclude_characters="\x00"), max_size=8)
    lines = draw(st.lists(st.lists(words, min_size=1, max_size=4).map("".join), max_size=40))
    ends = st.sampled_from(["\n", "\n\n", "\n\n", "\r", "\r\n", "\r\r", "\n  \n"])
    text = "".join(line + draw(ends) for line in lines)
    if draw(st.integers(0, 19)) == 19:  # now and then a binary file (0 is what hypothesis tries first)
        at = draw(st.integers(0, len(text)))
        text = text[:at] + "\x00" + text[at:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "cp1252", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace") if encoding != "utf-8" else text.encode("utf-8", "surrogatepass")


@SETTINGS
@given(data=fountain_bytes(), coverage=st.sampled_from(["auto", "none"]))
def test_any_input_imports_clean_or_is_refused_with_a_code(tmp_path: Path, data: bytes, coverage: str) -> None:
    source, diagnostics = decode_script(data, "s.fountain")
    if source is None:
        assert diagnostics and all(d.is_error and d.code.startswith("E") for d in diagnostics)
        return
    project, found = import_fountain(source, title="s", coverage=coverage)
    if any(d.is_error for d in found):
        assert all(d.code for d in found)
        return
    checks_clean(tmp_path, project)


# --- stable ids -----------------------------------------------------------------------------------------
_CAST = ["MIRA", "OSKAR", "LENA"]
_WORDS = "the a lamp rain door window slowly bright cold river stone bird table letter runs sits waits looks".split()
_PARENS = ["", "(laughs)", "(quietly)", "(to Mira)", "(beat)", "(turning away)"]


@st.composite
def paragraph(draw: st.DrawFn, first: str = "", last: str = "") -> str:
    """An action or a speech; ``first`` and ``last`` words make it differ from every other (shots of
    identical content are told apart by their order, documented: a test of insertion wants none)."""
    if draw(st.booleans()):
        words = draw(st.lists(st.sampled_from(_WORDS + [n.title() for n in _CAST] + _CAST), min_size=1, max_size=14))
        return " ".join([first, *words, last]).strip().capitalize() + "."
    cue = draw(st.sampled_from(_CAST)) + draw(st.sampled_from(["", "", " (V.O.)", " (O.S.)"]))
    paren = draw(st.sampled_from(_PARENS))
    words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12))
    line = " ".join([first, *words, last]).strip().capitalize() + "."
    return "\n".join([cue, *([paren] if paren else []), line])


_LISTENER = re.compile(r"(@\w+ speaks) to @\w+")


def _unlistened(shots: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The shots with "speaks to @X" read as "speaks" (a parenthetical's direction may follow it:
    "@Mira speaks to @Lena, to @Mira")."""
    return [(i, {**s, "action": _LISTENER.sub(r"\1", s.get("action", ""))}) for i, s in shots]


def changed_window(old: list[tuple[str, Any]], new: list[tuple[str, Any]]) -> tuple[int, int]:
    """How many shots of ``old`` and of ``new`` lie between their common prefix and common suffix."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return len(old) - prefix - suffix, len(new) - prefix - suffix


@SETTINGS
@given(data=st.data())
def test_inserting_a_paragraph_re_keys_only_the_shots_next_to_it(data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 25))
    paragraphs = [data.draw(paragraph(last=f"n{k}")) for k in range(count)]
    head = ("INT. KITCHEN - NIGHT\n\nMIRA (30s), a woman, OSKAR (40s), a man, and LENA (8), a girl, wait.\n\n"
            "MIRA\nHi.\n\nOSKAR\nHi.\n\nLENA\nHi.\n\n")  # the cast speaks first: a new speaker binds everywhere
    extra = data.draw(paragraph(first="zzyzx"))  # words no other paragraph starts with
    where = data.draw(st.integers(0, len(paragraphs)))
    coverage = data.draw(st.sampled_from(["auto", "none"]))

    def import_(paras: list[str]) -> list[tuple[str, Any]]:
        project, _ = import_fountain(SourceFile("s.fountain", head + "\n\n".join(paras) + "\n"), coverage=coverage)
        return [(s["id"], s) for s in shots(project)]

    old = import_(paragraphs)
    new = import_([*paragraphs[:where], extra, *paragraphs[where:]])
    # Who a line is spoken to is the last other character seen (coverage.speech_shot): a line inserted
    # before a run of one speaker's lines may change every "speaks to @X" of that run, by design; the
    # window is measured without the listener.
    before, after = changed_window(_unlistened(old), _unlistened(new))
    assert before <= 3 and after <= 4, (where, before, after)
    # and every shot id outside the window is the id it had
    assert len({i for i, _ in new}) == len(new)
