"""Names in a script made into the format's names and ids: ASCII, stable, readable where possible.

Latin letters lose their accents (É -> E); Cyrillic and Greek are transliterated; any other script
(Han, Arabic, Devanagari ...) becomes its code points in hex (王 -> u738b), so a name written in any
script has an ASCII id that depends on the name alone.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ascii_words", "camel_name", "cue_key", "trie_pattern"]

_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґў",
    ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
     "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "i", "ye", "yi", "g", "u"], strict=True))
_GREEK = dict(zip(
    "αβγδεζηθικλμνξοπρσςτυφχψω",
    ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r", "s", "s", "t", "y", "f",
     "ch", "ps", "o"], strict=True))
_WORD = re.compile(r"[A-Za-z0-9]+")


def _transliterate(text: str) -> str:
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        low = ch.lower()
        base = unicodedata.normalize("NFKD", low)
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        if stripped.isascii():
            out.append(stripped.upper() if ch.isupper() else stripped)
        elif stripped in _CYRILLIC or stripped in _GREEK:
            latin = _CYRILLIC.get(stripped, _GREEK.get(stripped, ""))
            out.append(latin.capitalize() if ch.isupper() else latin)
        elif ch.isalnum():
            out.append(f"u{ord(ch):x}")
        else:
            out.append(" ")
    return "".join(out)


def ascii_words(text: str) -> list[str]:
    """The words of ``text`` in ASCII letters and digits (an apostrophe joins: BRICK'S -> BRICKS)."""
    text = text.replace("'", "").replace("’", "")
    return _WORD.findall(text if text.isascii() else _transliterate(text))


_AFTER_HYPHEN = re.compile(r"(?<=[^\W\d_]-)[^\W\d_]")
_AFTER_O = re.compile(r"^([^\W\d_]['’])([^\W\d_])(?=[^\W\d_]{2})")


def name_case(text: str) -> str:
    """A name in capitals as a name is written: 'BRICK BRADDOCK' -> 'Brick Braddock', "O'BRIEN" ->
    "O'Brien", "D'ARCY" -> "D'Arcy", 'JEAN-LUC' -> 'Jean-Luc'; "JOE'S" stays "Joe's"."""
    words = []
    for word in text.split():
        word = word[:1].upper() + word[1:].lower()
        word = _AFTER_HYPHEN.sub(lambda m: m.group().upper(), word)
        words.append(_AFTER_O.sub(lambda m: m.group(1) + m.group(2).upper(), word))
    return " ".join(words)


def camel_name(text: str, limit: int = 40) -> str:
    """'DR. NOBODY' -> 'DrNobody'; 'ANNA-MARIA' -> 'AnnaMaria'; '王' -> 'U738b'. Empty when ``text`` has no
    letters or digits; starts with a letter otherwise (digits first get a 'N')."""
    words = ascii_words(text)
    name = "".join(w[:1].upper() + w[1:].lower() for w in words)[:limit]
    if name and not name[0].isalpha():
        name = ("N" + name)[:limit]
    return name


_EXTENSION = re.compile(r"\s*\(([^()]*)\)")


def cue_key(display: str) -> str:
    """The character a cue names, whatever extensions, spacing or trailing dots it carries:
    'ANANTH', 'ANANTH.', 'Ananth (V.O.)' and 'ANANTH  (CONT'D)' are one character."""
    name = _EXTENSION.sub(" ", display)
    name = " ".join(name.split()).strip(" .:,;")
    return name.casefold()


def trie_pattern(words: list[str]) -> str:
    """A regular expression matching any of ``words``, the longest where several match, built as a
    trie (one branch per first character), so a search costs about the same for 5 names or 500."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        end = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return f"(?:{body})?"
        return body

    return build(trie)
