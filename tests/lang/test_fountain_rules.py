"""Fountain import, rule by rule (docs/fountain.md): places, cast and voices, coverage, parentheticals,
cards, markup, language. The golden imports hold the whole output; these say what each rule means."""

from __future__ import annotations

from typing import Any

import pytest

from studio_lang.fountain.cast import VOICE_TABLE
from studio_lang.fountain.coverage import MAX_LINES, camera_move, framing
from studio_lang.fountain.importer import import_fountain
from studio_lang.fountain.language import SPEECH_LANGUAGES
from studio_lang.fountain.names import ascii_words, camel_name, cue_key
from studio_lang.fountain.places import read_heading
from studio_lang.fountain.words import KNOWN_EMOTIONS, off_screen, parenthetical, strip_markup
from studio_lang.source import SourceFile
from tests.lang.test_fountain import imported, shots


def script(text: str, coverage: str = "auto") -> dict[str, Any]:
    data, diagnostics = import_fountain(SourceFile("s.fountain", text), coverage=coverage)
    assert not [d for d in diagnostics if d.is_error]
    return data


# --- places ---------------------------------------------------------------------------------------------
def test_one_location_per_place_shared_by_variants_and_bound_by_every_scene() -> None:
    data, _ = imported("places.fountain")
    locations = {n: e for n, e in data["elements"].items() if e["kind"] == "location"}
    assert locations == {
        "MargitsHouseKitchen": {"kind": "location", "description": "Margit's house - kitchen (interior and exterior)"},
        "DeliveryVan": {"kind": "location", "description": "Delivery van (interior and exterior)"},
        "Harbour": {"kind": "location", "description": "Harbour (exterior)"},
        "Lighthouse": {"kind": "location", "description": "Lighthouse (exterior)"},
    }
    scenes = {s["id"]: s for s in data["scenes"]}
    assert [s.get("location") for s in data["scenes"]] == [
        "MargitsHouseKitchen", "MargitsHouseKitchen", "DeliveryVan", "DeliveryVan", "Harbour", "Lighthouse", None,
        "MargitsHouseKitchen"]
    # the heading stays whole (time of day for the renderer), the author's numbers lead the scene id
    assert scenes["1a-int-margits-house-kitchen-night"]["heading"] == "INT. MARGIT'S HOUSE - KITCHEN - NIGHT"
    assert "1b-ext-margits-house-kitchen-day" in scenes
    # a place's first scene opens on an establishing shot, a later visit on a wide one
    assert [s["shots"][0].get("type") for s in data["scenes"]] == [
        "establishing", "wide", "establishing", "wide", "establishing", "establishing", "wide", "wide"]


@pytest.mark.parametrize("heading, key, side, time", [
    ("INT. HOUSE - KITCHEN - NIGHT", "HOUSE KITCHEN", "interior", "NIGHT"),
    ("ext. house - kitchen - day", "HOUSE KITCHEN", "exterior", "day"),
    ("I./E. CAR - MOVING - CONTINUOUS", "CAR", "both", "MOVING - CONTINUOUS"),
    ("INT./EXT. CAR – LATER", "CAR", "both", "LATER"),
    ("EXT. BEACH DAY", "BEACH", "exterior", "DAY"),
    ("EST. CITY (1985) - NIGHT", "CITY", "exterior", "NIGHT"),
    ("INT. NIGHT CLUB", "NIGHT CLUB", "interior", None),
    ("INT. LUCA'S ROOM - DAY (FLASHBACK)", "LUCA'S ROOM", "interior", "DAY (FLASHBACK)"),
    ("FLASHBACK - INT. CONSERVATORY - DAY", "CONSERVATORY", "interior", "DAY"),
    ("Dream sequence: EXT. MOON", "MOON", "exterior", None),
])
def test_headings_name_places(heading: str, key: str, side: str, time: str | None) -> None:
    place = read_heading(heading)
    assert place is not None and (place.key, place.side, place.time) == (key, side, time)


def test_headings_without_a_place() -> None:
    assert read_heading("UNDERWATER") is None and read_heading("INT.") is None


def test_directions_in_capitals_are_notes_and_a_led_heading_opens_a_scene() -> None:
    data = script("INT. CAR - NIGHT\n\nMIRA drives.\n\nINTERCUT - PHONE CONVERSATION\n\nA phone buzzes.\n\n"
                  "MOMENTS LATER\n\nThe car stops.\n\nTHE CAR EXPLODES.\n\nFLASHBACK - EXT. BEACH - DAY\n\n"
                  "Kids run.\n\nBACK TO PRESENT\n\nEND FLASHBACK\n\nINT. CAR - NIGHT\n\nMira wakes.\n")
    assert [(s["heading"], s.get("location")) for s in data["scenes"]] == [
        ("INT. CAR - NIGHT", "Car"), ("FLASHBACK - EXT. BEACH - DAY", "Beach"), ("INT. CAR - NIGHT", "Car")]
    assert [(s["action"], s.get("notes")) for s in shots(data)] == [
        ("MIRA drives.", None), ("A phone buzzes.", "INTERCUT - PHONE CONVERSATION"),
        ("The car stops.", "MOMENTS LATER"), ("THE CAR EXPLODES.", None),  # capitals, but a picture
        ("Kids run.", None), ("Mira wakes.", "BACK TO PRESENT; END FLASHBACK")]


# --- cast -----------------------------------------------------------------------------------------------
def test_introductions_give_descriptions_ages_and_voices() -> None:
    data, _ = imported("cast.fountain")
    characters = {n: e["description"] for n, e in data["elements"].items() if e["kind"] == "character"}
    assert characters == {
        "Odile": "Odile Marchetti (60s), a weathered captain with a pipe",
        "Teo": "Teo (8), small for his age and wearing a paper crown",
        "Wren": "Wren (15), a lanky teenage girl",
        "Barrister": "Barrister (40s), a tall man in a grey coat",
        "Ananth": "Ananth (30s)",
        "DrOkafor": "Dr. Julius Okafor (85), the ship's old doctor",  # cue DR. OKAFOR, (V.0.) a typo of (V.O.)
    }
    voices = data["voices"]
    assert voices["odile"] == {"variant": "grandma", "pitch": 50, "rate": 150, "description": "elderly woman (60s)"}
    assert voices["teo"] == {"variant": "m3", "pitch": 74, "rate": 180, "description": "child boy (8)"}
    assert voices["wren"]["description"] == "teenage girl (15)" and voices["wren"]["variant"] == "f4"
    assert voices["barrister"]["variant"] == "m1" and voices["barrister"]["pitch"] == 42
    # 'ANANTH' and 'ANANTH.' are one character; his line off screen is marked
    assert [e for e in data["elements"] if e.startswith("Ananth")] == ["Ananth"]
    cabin = data["scenes"][1]["shots"][0]
    assert cabin["dialogue"][1] == {"character": "Odile", "line": "Ananth! The ropes!", "off_screen": "O.S."}
    assert cabin["dialogue"][2] == {"character": "DrOkafor", "line": "Fifty. Not bad.", "emotion": "surprised",
                                    "off_screen": "V.O."}
    assert "@Odile" not in cabin["action"]  # an unseen speaker is not drawn


def test_compounds_of_man_and_woman_and_nouns_before_pronouns_give_the_gender() -> None:
    data = script("EXT. HARBOUR - NIGHT\n\nTOMAS (40s), a broad fisherman, hauls a rope. The policewoman INGRID "
                  "(30s) watches. A human shape, KIT, waits.\n\nMARCO (30s), her teacher, a gentle man with inky "
                  "hands, keeps time.\n\nTOMAS\nRoom!\n\nINGRID\nStop.\n\nKIT\nNo.\n\nMARCO\nSlower.\n")
    assert {n: v["description"] for n, v in data["voices"].items()} == {
        "tomas": "adult man (40s)", "ingrid": "adult woman (30s)", "kit": "adult", "marco": "adult man (30s)"}


def test_a_name_says_who_it_is_and_is_spelt_as_a_name() -> None:
    data = script("INT. DINER - NIGHT\n\nMRS. O'BRIEN (70s), the owner, wipes the counter. JEAN-LUC waits.\n\n"
                  "MRS. O'BRIEN\nMore?\n\nOLD WOMAN\nNo.\n\nYOUNG MAN IN HOODIE\nHelp.\n\nLITTLE GIRL\nMum!\n\n"
                  "JEAN-LUC\nNon.\n\nMORGAN FREEMAN\nHm.\n")
    characters = {n: e["description"] for n, e in data["elements"].items() if e["kind"] == "character"}
    assert characters["MrsObrien"] == "Mrs. O'Brien (70s), the owner" and characters["JeanLuc"] == "Jean-Luc"
    voices = {n: v["description"] for n, v in data["voices"].items()}
    assert voices == {"mrsobrien": "elderly woman (70s)", "oldwoman": "elderly woman", "youngmaninhoodie": "adult man",
                      "littlegirl": "child girl", "jeanluc": "adult", "morganfreeman": "adult"}


def test_cue_extensions_joint_cues_and_announcements() -> None:
    data, _ = imported("extensions.fountain")
    assert data["elements"]["Hollis"]["description"] == "Hollis Grant (70)"
    assert data["voices"]["hollis"]["description"] == "elderly man (70)"  # 'His grandson' is Pip's, 'His' Hollis's
    assert data["voices"]["pip"]["description"] == "child boy (10)"
    lines = [(d["character"], d["line"], d.get("off_screen"), d.get("emotion")) for s in shots(data)
             for d in s.get("dialogue", [])]
    assert lines == [
        ("Hollis", "Quiet now. We're live.", None, None),
        ("Pip", "Is anybody out there?", "O.S.", None),  # (O.S., PRELAP)
        ("Caller", "I hear you.", "O.S.", "whisper"),  # (FILTERED), (low)
        ("Pip", "You do?", None, None),  # (ON PHONE): seen, talking into the phone
        ("Hollis", "Goodnight, listeners.", None, None), ("Pip", "Goodnight, listeners.", None, None),  # joint cue
        ("SaltAndPepper", "We never sleep.", None, None)]  # one character: no cue SALT, no cue PEPPER
    joint = next(s for s in shots(data) if s["id"].startswith("hollis-goodnight"))
    assert joint["action"] == "@Hollis and @Pip speak" and "type" not in joint
    assert shots(data)[-1] == {"id": "card-night-owls", "duration": 2, "card": "NIGHT OWLS"}  # TITLE OVER: announces
    assert "transition" not in shots(data)[0]  # **FADE IN:** is a transition, emphasised or not
    assert data["scenes"][0]["location"] == "RadioStation"


def test_no_two_speakers_of_a_scene_share_a_voice() -> None:
    names = ["AMY", "BEA", "CLEO", "DORA", "EVE", "FAY"]
    intro = " ".join(f"{n} (30s), a woman," for n in names) + " wait."
    text = "INT. HALL - DAY\n\n" + intro + "\n\n" + "\n\n".join(f"{n}\nHello." for n in names) + "\n"
    voices = script(text)["voices"]
    chosen = [(v["variant"], v["pitch"]) for v in voices.values()]
    assert len(set(chosen)) == len(names)
    assert all(v["variant"] in VOICE_TABLE[("adult", "female")][0] for v in voices.values())


def test_characters_in_different_scenes_may_share_a_voice() -> None:
    text = ("INT. A - DAY\n\nAMY (30s), a woman, waits.\n\nAMY\nHi.\n\n"
            "INT. B - DAY\n\nBEA (30s), a woman, waits.\n\nBEA\nHi.\n")
    voices = script(text)["voices"]
    assert (voices["amy"]["variant"], voices["amy"]["pitch"]) == (voices["bea"]["variant"], voices["bea"]["pitch"])


def test_names_in_any_script_get_an_ascii_id_beside_them() -> None:
    data, _ = imported("cyrillic.fountain")
    assert data["project"]["language"] == "ru"
    elements = data["elements"]
    assert elements["Anna"]["description"] == "Анна" and elements["Boris"]["description"] == "Борис"
    assert elements["U738bu5c0fu660e"]["description"] == "王小明"
    assert all(v["language"] == "ru" for v in data["voices"].values())
    assert camel_name("DR. NOBODY") == "DrNobody" and camel_name("ÉLODIE") == "Elodie" and camel_name("42") == "N42"
    assert ascii_words("Ζωή Όμηρος") == ["Zoi", "Omiros"]
    assert cue_key("ANANTH") == cue_key("ANANTH.") == cue_key("Ananth (V.O.)") == cue_key("ANANTH  (CONT'D)")


@pytest.mark.parametrize("extensions, mark", [
    (["V.O."], "V.O."), (["vo"], "V.O."), (["O.S."], "O.S."), (["O.C."], "O.S."), (["off screen"], "O.S."),
    (["FILTERED"], "O.S."), (["O.S., PRELAP"], "O.S."), (["ON PHONE"], None), (["CONT'D"], None),
    (["CONT'D", "V.O."], "V.O."), ([], None)])
def test_cue_extensions(extensions: list[str], mark: str | None) -> None:
    assert off_screen(extensions) == mark


# --- language -------------------------------------------------------------------------------------------
def test_the_voice_language_follows_the_script() -> None:
    data, _ = imported("german.fountain")
    assert data["project"]["language"] == "de"
    assert {v["language"] for v in data["voices"].values()} == {"de"}
    english, _ = imported("coverage.fountain")
    assert "language" not in english["project"] and all("language" not in v for v in english["voices"].values())
    declared = script("Title: T\nLanguage: pt-br\n\nINT. A - DAY\n\nBOB\nHello there, how are you?\n")
    assert declared["project"]["language"] == "pt-br"


def test_a_declared_language_espeak_cannot_speak_is_a_warning() -> None:
    _, diagnostics = import_fountain(SourceFile("s.fountain", "Title: T\nLanguage: Klingon\n\nINT. A\n\nX.\n"))
    assert [d.code for d in diagnostics] == ["W124"]


def test_declarable_languages_are_espeak_languages() -> None:
    from backends.espeak import _lib

    assert SPEECH_LANGUAGES <= set(_lib.catalogue().languages)


# --- coverage -------------------------------------------------------------------------------------------
def test_coverage_cuts_an_exchange_into_shots() -> None:
    data, _ = imported("coverage.fountain")
    got = [(s["id"], s.get("type", "medium"), len(s.get("dialogue", []))) for s in shots(data)]
    assert got == [
        ("flour-hangs-in-the-air", "establishing", 1),  # the first speech plays in the action's shot
        ("mats-the-bus-never-came", "over_the_shoulder", 1),  # a reply: over the listener's shoulder
        ("pia-sure", "close_up", 1),  # short and quiet: close
        ("mats-you-never-believe-me", "over_the_shoulder", 3),  # a long speech, split at sentence ends
        ("timer-rings", "insert", 0),  # nobody named, short: an insert
        ("close-on-the-oven-door", "close_up", 0),  # the action's own framing
        ("loaves", "insert", 0),
        ("camera-moves-toward-the-window", "wide", 2),  # a voice-over and a dual line over the shot
        ("pia-mats-and-their-neighbour", "medium", 0),
        ("insert-a-note-on-the", "insert", 0),
        ("ground-shakes-pans-rattle-on", "wide", 0),
        ("we-pan-across-the-shelves", "wide", 1),  # an off-screen line plays over the shot before
    ]
    moves = {s["id"]: s["camera"]["move"] for s in shots(data) if "camera" in s}
    assert moves == {"camera-moves-toward-the-window": "dolly_in", "ground-shakes-pans-rattle-on": "shake",
                     "we-pan-across-the-shelves": "pan_right"}
    assert all(len(s.get("dialogue", [])) <= MAX_LINES for s in shots(data))


def test_coverage_none_keeps_one_shot_per_paragraph() -> None:
    data, _ = imported("coverage.fountain", "none")
    assert all("type" not in s and "camera" not in s for s in shots(data))
    assert [len(s.get("dialogue", [])) for s in shots(data)][:2] == [4, 0]


def test_a_long_speech_continues_in_a_close_up() -> None:
    text = "INT. A - DAY\n\nBOB waits.\n\nBOB\n" + "\n".join(f"(beat)\nLine {n}." for n in range(10)) + "\n"
    got = [(s.get("type", "medium"), len(s.get("dialogue", []))) for s in shots(script(text))]
    assert got == [("establishing", 4), ("close_up", 4), ("close_up", 2)]


@pytest.mark.parametrize("text, move", [
    ("The camera pans left across the bay.", "pan_left"), ("The camera pans slowly.", "pan_right"),
    ("Pans rattle on their hooks.", None), ("She shakes her head.", None), ("The ground shakes.", "shake"),
    ("We tilt up to the stars.", "tilt_up"), ("He looks down at the letter.", "tilt_down"),
    ("Snap zoom on her eyes.", "zoom_in"), ("The camera pulls back to reveal the crowd.", "dolly_out"),
    ("Luca moves toward the sea.", "dolly_in"), ("An explosion rocks the street.", "shake"),
    ("Luca waits.", None), ("The pantry is empty.", None)])
def test_camera_words(text: str, move: str | None) -> None:
    assert camera_move(text) == move


@pytest.mark.parametrize("text, kind", [
    ("CLOSE ON the ring.", "close_up"), ("INSERT - THE LETTER", "insert"), ("ANGLE ON Mia.", "medium"),
    ("WIDE - the valley.", "wide"), ("LUCA'S POV - the sea.", "pov"), ("EXTREME CLOSE UP: an eye.", "extreme_close_up"),
    ("Closer to home, rain falls.", None), ("Insertion of a coin.", None)])
def test_framing_words(text: str, kind: str | None) -> None:
    assert framing(text) == kind


# --- parentheticals -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, emotion, direction", [
    ("laughs", "amused", None), ("whispering", "whisper", None), ("confused", "confused", None),
    ("beat", None, None), ("a beat", None, None), ("quietly", "whisper", None), ("very nervously", "nervous", None),
    ("laughing nervously", "amused", None), ("sadly, turning to the window", "sad", "turning to the window"),
    ("to Anna", None, "to Anna"), ("whispering to Anna", "whisper", "whispering to Anna"),
    ("re: the timetable", None, "re: the timetable"), ("under his breath", "whisper", None),
    ("in tears", "sad", None), ("smirking", "sarcastic", None), ("beat; then, angrily", "angry", None)])
def test_parenthetical_lexicon(text: str, emotion: str | None, direction: str | None) -> None:
    assert parenthetical(text) == (emotion, direction)


def test_parentheticals_become_emotions_and_stage_directions() -> None:
    data, _ = imported("parentheticals.fountain")
    lines = [(d["line"], d.get("emotion")) for s in shots(data) for d in s.get("dialogue", [])]
    assert lines == [("That's not how trains work.", "amused"), ("Then how do they work?", "confused"),
                     ("Magic.", "whisper"), ("And coal.", "whisper"), ("I miss coal.", "sad"),
                     ("You never saw coal.", None), ("I read about it.", "nervous"),
                     ("Of course you did.", "sarcastic"), ("We're late.", None)]
    actions = [s["action"] for s in shots(data)]
    assert "@Noor speaks, turning to the window" in actions and "@Kit speaks, to @Noor, into her cup" in actions
    # emotions the backends do not know are defined in the speaker's voice, so they sound and never warn
    assert set(data["voices"]["kit"]["emotions"]) == {"amused", "sarcastic"}
    assert set(data["voices"]["noor"]["emotions"]) == {"confused"}
    assert "nervous" in KNOWN_EMOTIONS and "nervous" not in data["voices"]["noor"]["emotions"]


# --- text that is not a picture -------------------------------------------------------------------------
def test_cards_and_transitions() -> None:
    data, _ = imported("cards.fountain")
    got = [(s.get("card"), s.get("action"), s.get("transition")) for s in shots(data)]
    assert got == [
        ("ACT ONE", None, None),  # FADE IN: before anything is the film's start; centred text is a card
        (None, "A kite climbs.", None),  # CUT TO: (with trailing spaces) is a cut
        ("Thirty years later", None, None),  # TITLE CARD:
        (None, "The kite hangs on a nail, torn.", None),
        ("The wind will carry you over the hill and home", None, None),  # lyrics outside a speech
        ("Summer, 1994", None, {"type": "dissolve"}),  # SUPER: over the next lines
        (None, "An old man lets a new kite go.", {"type": "fade"}),
        ("THE END", None, None),
    ]
    assert all(s["duration"] >= 2 for s in shots(data) if "card" in s)


# --- markup ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, plain", [
    ("*italic* and **bold** and ***both*** and _under_", "italic and bold and both and under"),
    ("snake_case_name and __init__", "snake_case_name and __init__"), ("2*3*4 = 24", "2*3*4 = 24"),
    ("a@b_c.com", "a@b_c.com"), (r"\*not\* emphasis", "*not* emphasis"), ("**bold _and under_**", "bold and under"),
    ("*unclosed", "*unclosed"), ("_" * 5000, "_" * 5000)])
def test_emphasis_stripping(text: str, plain: str) -> None:
    assert strip_markup(text) == plain


def test_markup_keeps_words_that_only_look_like_it() -> None:
    data, _ = imported("markup_words.fountain")
    (shot,) = shots(data)
    assert "config_file_name" in shot["action"] and "2*3*4 = 24" in shot["action"]
    assert "snake_case_name" in shot["action"] and "ops at example.com" in shot["action"]  # '@b' is no trigger
    assert shot["dialogue"][0]["line"] == "Run deploy_all again. Mail me at root@example.com."


def test_title_page_keys_of_any_name() -> None:
    data, _ = imported("places.fountain")
    assert data["project"] == {"title": "Two Houses", "description": "Series: Harbour Tales; Episode: 3"}
    first = script("Series: Night Shift\nEpisode: 2\n\nINT. A - DAY\n\nRain.\n")
    assert first["project"]["description"] == "Series: Night Shift; Episode: 2"
    prose = script("Later: he comes back.\n\nINT. A - DAY\n\nRain.\n")  # one unknown key: action, not a title page
    assert shots(prose)[0]["action"] == "Later: he comes back."


# --- the documentation says what the code does ----------------------------------------------------------
def _table(heading: str) -> list[list[str]]:
    from tests.lang.helpers import ROOT

    text = (ROOT / "docs" / "fountain.md").read_text(encoding="utf-8")
    rows = text[text.index(heading):].split("\n\n", 1)[0].splitlines()[2:]
    return [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]


def test_docs_tables_are_the_code_tables() -> None:
    from studio_lang.fountain.words import EMOTION_DELTAS, LEXICON

    lexicon = {word: emotion for emotion, words in _table("| emotion | parenthetical words |")
               for word in words.split(", ")}
    assert lexicon == dict(LEXICON)
    deltas = {row[0]: {k: int(v) for k, v in zip(("pitch", "rate", "range", "volume"), row[1:], strict=True)
                       if int(v)} for row in _table("| emotion | pitch | rate | range | volume |")}
    assert deltas == {e: dict(d) for e, d in EMOTION_DELTAS.items()}
    voices = {}
    group = ""
    for row in _table("| age group | gender | variants | pitch | rate |"):
        group = row[0].split(" (")[0] or group
        voices[(group, None if row[1] == "unknown" else row[1])] = (tuple(row[2].split(", ")), int(row[3]),
                                                                   int(row[4]))
    assert voices == VOICE_TABLE


def test_emotion_names_agree_with_the_compiler() -> None:
    from compiler.film import KNOWN_EMOTIONS as COMPILER_EMOTIONS
    from studio_lang.fountain.words import EMOTION_DELTAS, LEXICON

    assert KNOWN_EMOTIONS == COMPILER_EMOTIONS
    assert set(LEXICON.values()) <= KNOWN_EMOTIONS | set(EMOTION_DELTAS)
    assert not set(EMOTION_DELTAS) & KNOWN_EMOTIONS


def test_dual_dialogue_makes_a_two_shot() -> None:
    text = "INT. A - DAY\n\nANA and BO wait.\n\nANA\nHi.\n\nBO\nHello there.\n\nANA\nNo.\n\nBO ^\nYes.\n"
    last = shots(script(text))[-1]
    assert last["action"] == "@Ana and @Bo speak" and "type" not in last
    assert [d["character"] for d in last["dialogue"]] == ["Ana", "Bo"]


def test_a_heading_with_nothing_under_it_shows_the_place() -> None:
    data = script("INT. ATTIC - DAY\n\nINT. CELLAR - NIGHT\n\nDamp.\n\nINT. ATTIC - NIGHT\n")
    assert [(s["shots"][0]["action"], s["shots"][0].get("type")) for s in data["scenes"]] == [
        ("INT. ATTIC - DAY", "establishing"), ("Damp.", "establishing"), ("INT. ATTIC - NIGHT", "wide")]
