"""The screenplay DSL reads into exactly the document YAML would give, with spans into the DSL text."""

from __future__ import annotations

import pytest

from studio_lang import ast
from studio_lang.dsl.emit import emit_dsl, from_data, literal, quote
from tests.lang.helpers import HEAD, codes, data, parse


def shot(text: str) -> dict:
    """The first shot of a one-scene snippet."""
    return data(HEAD + "SCENE s: INT. ROOM - DAY\n\n" + text)["scenes"][0]["shots"][0]  # type: ignore[index]


def test_settings_definitions_and_sugar() -> None:
    doc = data("""\
studio 1
title "Luca Sees the Sea"
fps 24  resolution 1280x720  seed 7  style storybook  vram_gb 12.5
models image=procedural video=procedural speech=espeak
model sd: diffusers image  weights=stabilityai/sd-turbo dtype=float16 steps=4 guidance=0.0
style storybook: "{{ action }}, watercolor"
  negative "photo, text"
  palette #1b4965 #62b6cb
  lora loras/ink.safetensors 0.5
voice luca: espeak en-us  pitch=62 rate=165
  emotion weary pitch=-8 rate=-20
character Luca: @Luca "a shy boy"
  references refs/a.png refs/b.png
  voice luca
  lora loras/luca.safetensors
element Thing: "something"  kind=prop
audio theme: audio/theme.wav  start=0 volume=0.6 duck loop
effect knock: "audio/knock wood.wav"  at=cove/dare
output subtitles=burn caption=true
""")
    assert doc == {
        "studio": 1,
        "project": {"title": "Luca Sees the Sea", "fps": 24, "resolution": [1280, 720], "seed": 7,
                    "style": "storybook", "models": {"image": "procedural", "video": "procedural", "speech": "espeak"},
                    "vram_gb": 12.5},
        "models": {"sd": {"backend": "diffusers", "kind": "image", "weights": "stabilityai/sd-turbo",
                          "dtype": "float16", "params": {"steps": 4, "guidance": 0.0}}},
        "styles": {"storybook": {"prompt": "{{ action }}, watercolor", "negative": "photo, text",
                                 "palette": ["#1b4965", "#62b6cb"],
                                 "lora": {"weights": "loras/ink.safetensors", "scale": 0.5}}},
        "voices": {"luca": {"engine": "espeak", "language": "en-us", "pitch": 62, "rate": 165,
                            "emotions": {"weary": {"pitch": -8, "rate": -20}}}},
        "elements": {"Luca": {"kind": "character", "trigger": "@Luca", "description": "a shy boy",
                              "references": ["refs/a.png", "refs/b.png"], "voice": "luca",
                              "lora": {"weights": "loras/luca.safetensors"}},
                     "Thing": {"kind": "prop", "description": "something"}},
        "audio": [{"id": "theme", "file": "audio/theme.wav", "start": 0, "volume": 0.6, "duck_under_dialogue": True,
                   "loop": True},
                  {"id": "knock", "file": "audio/knock wood.wav", "kind": "effect", "at": "cove/dare"}],
        "output": {"subtitles": "burn", "caption": True},
    }


def test_value_types_stay_what_was_written() -> None:
    doc = data('set a=1 b=1.0 c=1e3 d=-2 e=true f=null g="1" h=yes i=[1, "x", [], {}] j={k=v, "odd key"=2}\n')
    assert doc == {"a": 1, "b": 1.0, "c": 1000.0, "d": -2, "e": True, "f": None, "g": "1", "h": "yes",
                   "i": [1, "x", [], {}], "j": {"k": "v", "odd key": 2}}
    assert type(doc["a"]) is int and type(doc["b"]) is float  # type: ignore[index]


def test_shot_line() -> None:
    assert shot("[peek] medium 2.5s dolly_in 0.15 -> dissolve 0.5s\n@Luca peeks\n") == {
        "id": "peek", "type": "medium", "duration": 2.5, "action": "@Luca peeks",
        "camera": {"move": "dolly_in", "amount": 0.15}, "transition": {"type": "dissolve", "duration": 0.5}}
    assert shot("[a] 3s wide -> cut image=sketch seed=3 notes=\"re-check\"\n") == {
        "id": "a", "type": "wide", "duration": 3, "transition": {"type": "cut"}, "models": {"image": "sketch"},
        "seed": 3, "notes": "re-check"}
    assert shot("[auto] auto\n") == {"id": "auto", "duration": "auto"}
    assert shot('["odd id"] "image"=1\n') == {"id": "odd id", "image": 1}


def test_action_paragraphs_join_like_folded_yaml() -> None:
    assert shot("[a]\nThe sea\nglitters.\n\nA gull cries.\n")["action"] == "The sea glitters.\nA gull cries."
    assert shot('[a]\n"[not a shot] # not a comment"\n')["action"] == "[not a shot] # not a comment"
    assert shot("[a]\nWe're #1, 100% sure: ok -> yes (really)\n")["action"] == \
        "We're #1, 100% sure: ok -> yes (really)"


def test_speeches() -> None:
    line = shot("""\
[a] close_up auto
@Luca waits.

    LUCA (curious) voice=old
    The sea...
    is it cold?

    luca
    (whisper)
    Yes.

    "Luca"
    Quoted cues are taken as written.
""")["dialogue"]
    assert line == [
        {"character": "Luca", "line": "The sea... is it cold?", "emotion": "curious", "voice": "old"},
        {"character": "Luca", "line": "Yes.", "emotion": "whisper"},
        {"character": "Luca", "line": "Quoted cues are taken as written."},
    ]


def test_off_screen_cues_read_and_write_back() -> None:
    text = HEAD + """character Anna: "a girl"

SCENE s: INT. ROOM - DAY

[a]
@Anna waits.

    LUCA (V.O.) (sad)
    Hello.

    ANNA (o.c.)
    (curious)
    Who?

    LUCA (happy) (OS)
    Me.

    ANNA (VO) voice=x
    Fine.

    LUCA (O.S.)
    Bye.
"""
    doc = data(text)
    assert doc["scenes"][0]["shots"][0]["dialogue"] == [  # type: ignore[index]
        {"character": "Luca", "line": "Hello.", "emotion": "sad", "off_screen": "V.O."},
        {"character": "Anna", "line": "Who?", "emotion": "curious", "off_screen": "O.S."},
        {"character": "Luca", "line": "Me.", "emotion": "happy", "off_screen": "O.S."},
        {"character": "Anna", "line": "Fine.", "voice": "x", "off_screen": "V.O."},
        {"character": "Luca", "line": "Bye.", "off_screen": "O.S."},
    ]
    written = emit_dsl(from_data(doc))
    assert "    LUCA (V.O.) (sad)\n" in written and "    ANNA (O.S.) (curious)\n" in written
    assert "    ANNA (V.O.) voice=x\n" in written and "    LUCA (O.S.)\n" in written
    assert data(written) == doc
    # an emotion that reads like a mark, or a mark that is not one, is written as a literal
    odd = {"studio": 1, "project": {"title": "T"}, "elements": {"Luca": {"kind": "character", "description": "b"}},
           "scenes": [{"id": "s", "shots": [{"id": "a", "dialogue": [
               {"character": "Luca", "line": "x", "emotion": "vo"},
               {"character": "Luca", "line": "y", "off_screen": "later"}]}]}]}
    written = emit_dsl(from_data(odd))
    assert "emotion=vo" in written and "off_screen=later" in written
    assert data(written) == odd


def test_cues_match_characters_ignoring_case_only_when_unambiguous() -> None:
    text = 'studio 1\ncharacter Ana: "a"\ncharacter ANA: "b"\nlocation Bo: "c"\n\nSCENE s\n[a]\n'
    doc = data(text + "    ANA\n    hi\n\n    ana\n    hi\n\n    BO\n    hi\n")
    dialogue = doc["scenes"][0]["shots"][0]["dialogue"]  # type: ignore[index]
    assert [d["character"] for d in dialogue] == ["ANA", "ana", "BO"]


def test_unicode_and_quoting_round_trip() -> None:
    for text in ["", " padded ", 'say "hi"', "a\\b", "line\nbreak", "tab\there", "#hash", "# comment-like",
                 "emoji 🐙 and ünïcödé", "\u2028", "->", "[x]", "=", "key=value", "true", "1.5", "@Luca"]:
        assert data(f"set x={quote(text)} y={literal(text)}\n") == {"x": text, "y": text}


def test_comments_are_not_values() -> None:
    doc = data('# leading\nstudio 1  # trailing\ntitle "A # B"  #\nstyle s: "p"\n  palette #abcdef  # a colour\n')
    assert doc == {"studio": 1, "project": {"title": "A # B"}, "styles": {"s": {"prompt": "p", "palette": ["#abcdef"]}}}


def test_spans_point_into_the_dsl_text() -> None:
    tree, _ = parse(HEAD + "SCENE s: INT. ROOM\n\n[a] wide 3s\n@Luca\nwaves\n\n    LUCA (sad)\n    Bye.\n")
    root = tree.root
    assert root is not None
    span = ast.locate(root, ("scenes", 0, "shots", 0, "duration"))
    assert (span.line, span.column, span.end_column) == (6, 10, 12)
    span = ast.locate(root, ("scenes", 0, "shots", 0, "action"))
    assert (span.line, span.end_line) == (7, 8)
    span = ast.locate(root, ("scenes", 0, "shots", 0, "dialogue", 0, "character"))
    assert (span.line, span.column, span.end_column) == (10, 5, 9)
    span = ast.locate(root, ("scenes", 0, "shots", 0, "dialogue", 0, "emotion"))
    assert (span.line, span.column, span.end_column) == (10, 11, 14)
    span = ast.locate(root, ("elements", "Luca"), key=True)
    assert (span.line, span.column) == (3, 11)


@pytest.mark.parametrize("text, expected", [
    ('studio 1\nstudio 2\n', [(2, "E113")]),
    ('character A: "x"\ncharacter A: "y"\n', [(2, "E113")]),
    (HEAD + "SCENE s\n[a] wide close_up\n", [(5, "E113")]),
    (HEAD + "SCENE s\n[a]\n    LUCA\n\n    LUCA\n    hi\n", [(6, "E115")]),
    (HEAD + "SCENE s\n[a]\n    LUCA\n    hi\n    (sad)\n", [(8, "E115")]),
    (HEAD + "SCENE s\n[a]\n    LUCA (V.O.) (O.S.)\n    hi\n", [(6, "E115")]),
    (HEAD + "SCENE s\n[a]\n    LUCA (sad) (V.O.) (calm)\n    hi\n", [(6, "E110")]),
    ('style s: "p"\n  negative a b\n', [(2, "E116")]),
    ('set x="\\q"\n', [(1, "E111")]),
    ('set x="\\ud800"\n', [(1, "E111")]),
    ("", [(1, "E107")]),
    ("# only a comment\n", [(1, "E107")]),
])
def test_builder_problems(text: str, expected: list[tuple[int, str]]) -> None:
    assert codes(text) == expected


def test_broken_data_still_converts_losslessly() -> None:
    odd = {"studio": "one", "project": {"title": 5, "resolution": "1280x720", "fsp": 24},
           "models": {"m": {"kind": 3, "params": {"backend": 1}, "extra": True}},
           "elements": {"X": {"kind": "robot", "trigger": "@ X", "description": ["a", "b"]}},
           "scenes": [{"shots": [{"id": 7, "type": "closeup", "duration": "soon", "camera": {"amount": 2},
                                  "dialogue": [{"line": "no speaker"}], "action": "  spaced  "}]}],
           "audio": {"not": "a list"}, "zzz": [1, {"a": None}]}
    text = emit_dsl(from_data(odd))
    assert data(text) == odd
