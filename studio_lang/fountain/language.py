"""The language a script's dialogue is written in, for the voices and the subtitles.

A title page key ``Language: de`` decides. Otherwise the writing system decides for scripts not
written in Latin letters (Cyrillic -> ru, or uk with Ukrainian letters; Greek, Arabic, Hebrew,
Devanagari, Thai, Tamil; kana -> ja, Hangul -> ko, Han alone -> zh), and for Latin letters the most
frequent short function words of a dozen languages (the, und, les, que, che, het ...). The sample is
the first 200,000 characters of dialogue (or of the whole script when it has no dialogue), so the
time does not grow with the script.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["SPEECH_LANGUAGES", "detect_language"]

_SAMPLE = 200_000
SPEECH_LANGUAGES = frozenset(
    "af am an ar as az ba be bg bn bs ca cmn cs cv cy da de el en en-gb en-us eo es es-419 et eu fa fi fr ga gd gn "
    "grc gu he hi hr ht hu hy ia id is it ja ka kk kl kn ko ku ky la lb lt lv mi mk ml mr ms mt my nb ne nl no om "
    "or pa pl pt pt-br ro ru si sk sl sq sr sv sw ta te th tk tn tr tt ug uk ur uz vi yue zh".split())
"""Languages a title page may declare: codes eSpeak NG speaks (tests hold them against its catalogue)."""
_STOPWORDS = {
    "en": "the and you is to of it that what this my me not don't we your are was i'm can",
    "fr": "le la les et est je tu vous ne pas que qui une des c'est pour mais il elle nous",
    "de": "der die das und ist ich nicht du sie wir ein eine es zu mit was auf den",
    "es": "el los las y es que no yo un una por qué pero está lo se tu",
    "it": "il che non è di un una per sono mi ti cosa ma io ho gli",
    "pt": "o os e que não é um uma eu você com para mas está se",
    "nl": "de het een en is ik niet je dat wat van zijn maar op hij",
    "sv": "och det att är jag inte du som på vad har vi med för",
    "da": "og det at er jeg ikke du som på hvad har vi med for",
    "pl": "i nie to się jest że na w ja co ty jak tak ale",
    "cs": "a je to se že na v já co ty jak tak ale není",
    "fi": "ja on ei se että mitä minä sinä hän me te ne",
    "tr": "bir ve bu ne için değil mi ben sen o da çok",
}
_LANGUAGES_OF: dict[str, list[str]] = {}
for _lang, _words in _STOPWORDS.items():
    for _word in _words.split():
        _LANGUAGES_OF.setdefault(_word, []).append(_lang)
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SCRIPTS = (
    ("\u0400", "\u04ff", "ru"), ("\u0370", "\u03ff", "el"), ("\u0600", "\u06ff", "ar"), ("\u0590", "\u05ff", "he"),
    ("\u0900", "\u097f", "hi"), ("\u0e00", "\u0e7f", "th"), ("\u0b80", "\u0bff", "ta"), ("\u3040", "\u30ff", "ja"),
    ("\uac00", "\ud7af", "ko"), ("\u4e00", "\u9fff", "zh"),
)


def _script_language(sample: str) -> str | None:
    if sample.isascii():
        return None
    counts: Counter[str] = Counter()
    latin = 0
    for ch in sample:
        if ch.isascii():
            latin += ch.isalpha()
            continue
        for low, high, lang in _SCRIPTS:
            if low <= ch <= high:
                counts[lang] += 1
                break
        else:
            latin += ch.isalpha()
    if not counts:
        return None
    lang, count = counts.most_common(1)[0]
    if count <= latin:
        return None
    if lang == "zh" and counts["ja"]:
        return "ja"
    if lang == "ru" and any(c in sample for c in "іїєґІЇЄҐ"):
        return "uk"
    return lang


def detect_language(dialogue: str, fallback: str, declared: str | None) -> str:
    """An eSpeak NG language code: ``declared`` (the title page's) when it has the form of one, else
    the script's writing system, else its function words; 'en' when nothing stands out."""
    if declared is not None:
        code = declared.strip().lower().replace("_", "-")
        if code in SPEECH_LANGUAGES:
            return code
    sample = (dialogue or fallback)[:_SAMPLE]
    by_script = _script_language(sample)
    if by_script is not None:
        return by_script
    counts: Counter[str] = Counter()
    for token, n in Counter(_TOKEN.findall(sample.lower())).items():
        for lang in _LANGUAGES_OF.get(token, ()):
            counts[lang] += n
    if not counts:
        return "en"
    lang, count = counts.most_common(1)[0]
    if lang != "en" and count >= 5 and count >= 1.5 * counts.get("en", 0):
        return lang
    return "en"
