"""The cast: who speaks, how the script introduces them, and the voice each gets.

A screenplay introduces a character in capitals in an action line, often with an age and a few
words: "BRICK BRADDOCK (40s), a mountain of a man, fills the doorway." The introduction gives the
element its description (the name, the age and the describing clauses, up to the first verb) and
the voice its pitch, rate and variant (docs/fountain.md has the table). Two characters who speak
in one scene never share a voice (variant and pitch) when the table has room for both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .names import cue_key, name_case
from .words import clamp

__all__ = ["Character", "Introduction", "VOICE_TABLE", "assign_voices", "find_introductions", "unique_name"]


@dataclass
class Character:
    key: str
    name: str
    """Element name (ASCII)."""
    display: str
    """The name as the script spells it, in title case ('Brick', '王小明')."""
    voice: str
    introduction: Introduction | None = None
    first_line: int = 0


@dataclass(frozen=True)
class Introduction:
    full_name: str
    """The name as introduced ('Brick Braddock')."""
    age: int | None
    age_text: str | None
    described: str
    """The describing clauses after the name and age ('a mountain of a man')."""
    gender: str | None
    """female, male or None."""
    group: str
    """child, teen, adult or elderly."""

    def description(self) -> str:
        text = self.full_name + (f" ({self.age_text})" if self.age_text else "")
        if self.described:
            text += ", " + self.described
        return clamp(text, 600)


# --- introductions ------------------------------------------------------------------------------------
_TOKEN = re.compile(r"[^\W_][\w'’.\-]*")
_DECADES = {"teens": 15, "twenties": 25, "thirties": 35, "forties": 45, "fifties": 55, "sixties": 65,
            "seventies": 75, "eighties": 85, "nineties": 95}
_NUMBERS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                       "thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_AGE_WORDS = r"(?:(?:early|mid|late)[\s-]*)?(?:[0-9]{1,3}\s*'?s?|" + "|".join([*_DECADES, *_NUMBERS]) + r")"
_AGE_PAREN = re.compile(r"\s*\(\s*(" + _AGE_WORDS + r")\s*\)", re.IGNORECASE)
_AGE_COMMA = re.compile(r"\s*,\s*(?:(?:aged?|also)\s+)?(" + _AGE_WORDS + r")\s*(?=[,.;]|\s|$)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<!\b[A-Z][a-z])(?<!\b[A-Z])(?<!\bMrs)(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)[.!?](?=\s|$)")
_FEMALE = frozenset("she her hers herself woman women girl lady mother mom mum mommy wife daughter sister aunt "
                    "grandmother grandma granny queen princess madam mrs ms miss girlfriend bride nun waitress "
                    "actress female widow niece granddaughter stepdaughter stepmother godmother".split())
_MALE = frozenset("he him his himself man men boy guy gentleman father dad daddy husband son brother uncle "
                  "grandfather grandpa king prince sir mr lord boyfriend groom monk priest waiter actor male "
                  "bearded beard moustache mustache widower nephew grandson stepson stepfather godfather".split())
_CHILD = frozenset("child kid baby toddler infant little boy girl schoolgirl schoolboy kindergartner".split())
_TEEN = frozenset("teen teenager teenage adolescent youth".split())
_OLD = frozenset("old elderly aged grandmother grandfather grandma grandpa granny ancient wrinkled frail "
                 "retired widow widower grey-haired gray-haired white-haired".split())
_PRONOUNS = frozenset("she her hers herself he him his himself".split())
_OTHER_NAME = re.compile(r"(?<![\w@])[A-Z][A-Z'’.\-]+(?:\s+[A-Z][A-Z'’.\-]+)*(?!\w)")
_APPOSITION_BEFORE = re.compile(r"(?:^|[.!?]\s+|,\s+)((?:[Aa]n?|[Tt]he)\s+[^,.;:!?()]{1,60}),\s*$")
_DESCRIBING = frozenset("a an the his her their its one some who whose with in wearing dressed clad in".split())
_NOT_VERBS = frozenset("his its this is as us always famous nervous anxious gorgeous serious various glasses "
                       "jeans clothes dress less its has was boss dreadlocks curls eyes looks".split())


def _age(text: str) -> tuple[int | None, str | None]:
    word = " ".join(text.lower().replace("-", " ").split())
    low = 0
    for prefix, offset in (("early ", -3), ("mid ", 0), ("late ", 3)):
        if word.startswith(prefix):
            word, low = word[len(prefix):], offset
    if word in _DECADES:
        return _DECADES[word] + low, text.strip()
    if word in _NUMBERS:
        return _NUMBERS[word], text.strip()
    digits = re.match(r"([0-9]{1,3})\s*('?s)?$", word)
    if digits is None:
        return None, None
    value = int(digits.group(1))
    if digits.group(2) or low:
        value += 5 + low
    return (value, text.strip()) if value <= 120 else (None, None)


_NOT_MEN = frozenset("human humans superhuman inhuman german germans roman romans shaman shamans talisman ottoman "
                     "caiman cayman doberman pullman walkman specimen specimens regimen abdomen acumen stamen "
                     "bitumen albumen semen ramen yemen hymen foramen".split())


def _gendered(word: str) -> str | None:
    """'girl' -> female; compounds of man and woman count too ('a broad fisherman', 'the
    policewoman'), but not words that only end like them ('human', 'German', 'specimen')."""
    if word in _FEMALE:
        return "female"
    if word in _MALE:
        return "male"
    if len(word) > 5 and word not in _NOT_MEN:
        for end, gender in (("woman", "female"), ("women", "female"), ("man", "male"), ("men", "male")):
            if word.endswith(end):  # 'woman' before 'man', 'women' before 'men'
                return gender
    return None


def _gender(words: set[str]) -> str | None:
    """Nouns decide before pronouns: in 'her teacher, a gentle man' the 'her' is someone else's."""
    for group in (words - _PRONOUNS, words & _PRONOUNS):
        found = [_gendered(w) for w in group]
        female, male = found.count("female"), found.count("male")
        if female != male:
            return "female" if female > male else "male"
    return None


_NAME_FEMALE = frozenset("mrs ms miss madam madame lady woman girl mother mom mum grandma granny grandmother aunt "
                         "sister nun waitress actress queen princess wife daughter widow niece".split())
_NAME_MALE = frozenset("mr sir man boy guy father dad grandpa grandfather uncle brother monk priest waiter actor "
                       "husband son nephew".split())
"""Words that, in a name, say who it is: MRS. O'BRIEN, OLD WOMAN, YOUNG MAN IN HOODIE (not KING, LORD or
compounds such as FREEMAN, which are surnames as often)."""


def from_name(display: str) -> tuple[str | None, str | None]:
    """(age group, gender) a name's own words give: ('elderly', 'female') for OLD WOMAN; None where it says nothing."""
    words = set(re.findall(r"[^\W\d_]+", display.lower()))
    female, male = len(words & _NAME_FEMALE), len(words & _NAME_MALE)
    group = _group(None, words)
    return (None if group == "adult" else group), ("female" if female > male else "male" if male > female else None)


def _group(age: int | None, words: set[str]) -> str:
    if age is not None:
        return "child" if age < 13 else "teen" if age < 20 else "elderly" if age >= 60 else "adult"
    if words & _CHILD:
        return "child"
    if words & _TEEN:
        return "teen"
    if words & _OLD:
        return "elderly"
    return "adult"


def _verbish(word: str) -> bool:
    w = word.lower().strip(",.;:!?")
    return (w.endswith("s") and not w.endswith("ss") and w not in _NOT_VERBS and len(w) > 2) or w in {
        "is", "was", "are", "were", "has", "had", "sits", "stands", "enters", "exits"}


def _described(rest: str) -> str:
    """The describing clauses at the start of ``rest`` (what follows the name and age, set off by a
    comma: 'BRICK (40s), a mountain of a man, fills the door'), up to a verb."""
    if not rest.lstrip(" ").startswith(","):
        return ""
    rest = rest.lstrip(" ,")
    kept: list[str] = []
    for n, segment in enumerate(re.split(r",\s*", rest)):
        words = segment.split()
        if not words:
            break
        first = words[0].lower()
        if _verbish(words[0]) and (n > 0 or first not in _DESCRIBING):
            break
        if n == 0 and first not in _DESCRIBING and not re.match(r"[a-z]", words[0]):
            break
        cut = next((k for k, w in enumerate(words) if k > 0 and w.lower() in ("and", "who") and k + 1 < len(words)
                    and _verbish(words[k + 1])), None)
        if cut is not None:
            kept.append(" ".join(words[:cut]))
            break
        kept.append(segment.strip())
    return ", ".join(k for k in kept if k).strip(" ,")


def _introduce(text: str, start: int, end: int, full_name: str) -> Introduction:
    after = text[end:end + 1500]  # an introduction is a sentence or two: bounded, whatever the paragraph
    age = age_text = None
    match = _AGE_PAREN.match(after) or _AGE_COMMA.match(after)
    if match is not None:
        age, age_text = _age(match.group(1))
        after = after[match.end():]
    stop = _SENTENCE.search(after)
    sentence = after[: stop.start()] if stop else after
    other = _OTHER_NAME.search(sentence)  # 'MARTA (30s) and her son JONAS': Jonas's words are not Marta's
    if other is not None:
        sentence = sentence[: other.start()]
    described = _described(sentence)
    opening = _APPOSITION_BEFORE.search(text[max(0, start - 80):start])
    preceding = text[max(0, start - 200):start]
    if opening is not None:  # 'A lanky teenage girl, WREN, 15, leans ...'
        phrase = opening.group(1).strip()
        described = ", ".join(d for d in (phrase[:1].lower() + phrase[1:], described) if d)
    before = [w.strip(",.;:!?()'\"").lower() for w in preceding.split()[-3:]]
    following = [w for w in after[stop.end():].split()[:4] if w.strip(",.;:!?").lower() in _PRONOUNS] if stop else []
    window = {w.strip(",.;:!?()'\"").lower() for w in [*sentence.split(), *following]}
    window |= {w.lower() for w in re.findall(r"[A-Za-z]+-haired", sentence)}
    noun = next((w for w in reversed(before[-2:]) if w not in _PRONOUNS and _gendered(w)), None)
    own = {w.strip(",.;:!?()'\"").lower() for w in described.split()}
    if noun is not None:  # 'her son JONAS', 'the fisherman TOMAS': the noun before the name decides
        gender: str | None = _gendered(noun)
    else:  # then the describing words ('a baker with flour on her apron'), then the whole window
        gender = _gender(own) or _gender(window)
    window |= set(before)
    return Introduction(full_name, age, age_text, described, gender, _group(age, window))


def _capital_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of words in capitals ('BRICK BRADDOCK', 'АННА'), in any script with
    letter case; digits may continue a run ('AGENT 47'); a word after '@' is a trigger, not a name."""
    runs: list[tuple[int, int]] = []
    start = end = -1
    for match in _TOKEN.finditer(text):
        word = match.group().rstrip(".'’-")
        capital = word.upper() == word and word.lower() != word
        joined = end >= 0 and text[end:match.start()].strip(" \t") == ""
        if (capital or (word.isdigit() and joined)) and (match.start() == 0 or text[match.start() - 1] != "@"):
            if joined:
                end = match.end()
                continue
            if start >= 0:
                runs.append((start, end))
            if capital:
                start, end = match.start(), match.end()
            else:
                start = end = -1
        else:
            if start >= 0:
                runs.append((start, end))
            start = end = -1
    if start >= 0:
        runs.append((start, end))
    return runs


_NAME_WORDS = 4
"""Most words a cue's name has ('MRS. VAN DER BERG')."""


def _names_in_run(text: str, start: int, end: int, waiting: dict[str, Character]
                  ) -> list[tuple[int, int, Character]]:
    """The cue names a run of capitals holds ('SUDDENLY BRICK BRADDOCK ENTERS' holds BRICK), each with
    the span of the full name: the cue's words, and the rest of the run when that is a word or two
    ('BRICK' of 'BRICK BRADDOCK'). A cue of two words or more also matches its first and last words
    with a middle name between ('DR. JULIUS BENNETT' is DR. BENNETT). Each word is tried as a start
    with up to _NAME_WORDS words: linear."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    found: list[tuple[int, int, Character]] = []
    i = 0
    while i < len(words):
        for n in range(min(_NAME_WORDS, len(words) - i), 0, -1):
            span = text[words[i][0]:words[i + n - 1][1]]
            character = waiting.get(cue_key(span))
            if character is None and n >= 3:  # first and last word: a middle name between
                character = waiting.get(cue_key(f"{text[words[i][0]:words[i][1]]} "
                                                f"{text[words[i + n - 1][0]:words[i + n - 1][1]]}"))
            if character is not None and all(c is not character for _, _, c in found):
                last = i + n - 1 if len(words) - (i + n) > 2 else len(words) - 1
                found.append((words[i][0], words[last][1], character))
                i += n - 1
                break
        i += 1
    return found


def find_introductions(paragraphs: Iterable[str], characters: dict[str, Character]) -> None:
    """Set each character's introduction from the first action paragraph that names them in capitals
    (or, for a name without letter case, names them at all)."""
    waiting = {c.key: c for c in characters.values()}
    uncased = {k: c for k, c in waiting.items() if not any(ch.isupper() or ch.islower() for ch in k)}
    for text in paragraphs:
        if not waiting:
            return
        for run_start, run_end in _capital_runs(text):
            for start, end, character in _names_in_run(text, run_start, run_end, waiting):
                words = text[start:end].split()
                full = " ".join(w.rstrip(",") for w in words if not w.isdigit()).rstrip(".")
                pretty = name_case(full)
                character.introduction = _introduce(text, start, end, pretty)
                del waiting[character.key]
                uncased.pop(character.key, None)
            if not waiting:
                return
        for key, character in list(uncased.items()):
            at = text.find(character.display)
            if at >= 0:
                character.introduction = _introduce(text, at, at + len(character.display), character.display)
                del waiting[key], uncased[key]


# --- voices ----------------------------------------------------------------------------------------------
VOICE_TABLE: dict[tuple[str, str | None], tuple[tuple[str, ...], int, int]] = {
    ("child", "female"): (("f5", "f4", "f2"), 80, 180),
    ("child", "male"): (("m3", "m5", "m6"), 74, 180),
    ("child", None): (("f5", "m3", "f4"), 77, 180),
    ("teen", "female"): (("f4", "f2", "f5"), 68, 185),
    ("teen", "male"): (("m3", "m6", "m2"), 56, 185),
    ("teen", None): (("m3", "f4", "m6"), 62, 185),
    ("adult", "female"): (("f2", "f1", "f3", "f4"), 60, 170),
    ("adult", "male"): (("m1", "m2", "m4", "m6", "m7"), 42, 170),
    ("adult", None): (("m4", "f3", "m2", "f1"), 50, 170),
    ("elderly", "female"): (("grandma", "f3", "f1"), 50, 150),
    ("elderly", "male"): (("grandpa", "m7", "m4"), 32, 145),
    ("elderly", None): (("grandpa", "grandma", "m7"), 40, 150),
}
"""(age group, gender) -> (eSpeak NG variants, base pitch 0-100, rate in words per minute)."""
_PITCH_STEPS = (0, 8, -8, 16, -16, 24, -24)


def _candidates(group: str, gender: str | None) -> list[tuple[str, int]]:
    variants, pitch, _ = VOICE_TABLE[(group, gender)]
    return [(v, min(max(pitch + step, 0), 100)) for step in _PITCH_STEPS for v in variants]


def assign_voices(characters: list[Character], scenes: list[set[str]]) -> dict[str, dict[str, object]]:
    """Voice settings per character name: the table's entry for their age group and gender, the first
    (variant, pitch) that no character sharing a scene with them already has."""
    scenes_of: dict[str, list[int]] = {}
    for index, names in enumerate(scenes):
        for name in names:
            scenes_of.setdefault(name, []).append(index)
    in_scene: list[set[tuple[str, int]]] = [set() for _ in scenes]
    """The voices already chosen for someone speaking in each scene (a few dozen at most: the table's)."""
    voices: dict[str, dict[str, object]] = {}
    for character in sorted(characters, key=lambda c: (c.first_line, c.name)):
        intro = character.introduction
        group, gender = (intro.group, intro.gender) if intro is not None else ("adult", None)
        named_group, named_gender = from_name(character.display)  # MRS. O'BRIEN, OLD WOMAN: the name decides
        gender = named_gender or gender
        if named_group is not None and (intro is None or intro.age is None):
            group = named_group
        mine = scenes_of.get(character.name, [])
        options = _candidates(group, gender)
        pick = next((o for o in options if not any(o in in_scene[i] for i in mine)), options[0])
        for i in mine:
            in_scene[i].add(pick)
        who = {"child": "child", "teen": "teenage", "adult": "adult", "elderly": "elderly"}[group]
        kind = {"female": "woman" if group in ("adult", "elderly") else "girl",
                "male": "man" if group in ("adult", "elderly") else "boy", None: "person"}[gender]
        age = f" ({intro.age_text})" if intro is not None and intro.age_text else ""
        voices[character.name] = {"variant": pick[0], "pitch": pick[1], "rate": VOICE_TABLE[(group, gender)][2],
                                  "description": f"{who} {kind}{age}" if gender else f"{who}{age}"}
    return voices


def unique_name(base: str, taken: set[str], counters: dict[str, int]) -> str:
    """``base``, or ``base`` with the next free number ('Anna2'), added to ``taken``; ``counters``
    remembers the last number tried per base, so n names with one base cost n steps, not n²."""
    name = base
    while name in taken:
        counters[base] = counters.get(base, 1) + 1
        name = f"{base[:58]}{counters[base]}"
    taken.add(name)
    return name
