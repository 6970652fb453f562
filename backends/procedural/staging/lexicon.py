"""Reading action text: which character does what, to whom, in which direction.

The vocabulary is ``VERBS``: each verb has a channel (what part of the body it drives) and the
words that name it. Channels compose, so "@Alberto grins and points at the sea" makes Alberto
smile (face) and point (gesture) at once; within a channel the first verb wins.

Reading is a small state machine over the words, not a parser:
- a character's name starts a clause and makes it the subject ("@Luca and @Alberto leap": both);
- a word of the vocabulary is a verb only where a verb can stand: after a subject, a pronoun,
  "and", a comma, "then", "to", an auxiliary ("is", "starts", ...) or an adverb in -ly. So "watches
  the waves" is a look, not a wave, and "small waves rolling in" has no verb at all;
- a name right after a verb (prepositions and articles may come between) is its object, the
  target: "points at @Luca", "hugs @Mara"; "each other" makes two subjects target each other;
- "left"/"right" after a movement give its direction ("from the left": where it comes from);
  "in"/"into" after walk or run make an entrance, "out"/"away"/"off" an exit; "off", "down" or
  "into" after leap make it a dive that ends below the frame.

Names arrive already expanded (``@Luca`` -> ``Luca``), as the keyframe's ``action`` parameter has
them; props can be targets, never subjects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

__all__ = ["CHANNELS", "VERBS", "Direction", "read_action", "verb_of"]

CHANNELS = ("posture", "motion", "gesture", "head", "face")

VERBS: dict[str, tuple[str, tuple[str, ...]]] = {
    # verb: (channel, the words that name it)
    "stand": ("posture", ("stand", "stands", "standing", "stood", "waits", "waiting", "waited", "pauses", "pausing",
                          "paused", "stops", "stopping", "stopped", "remains", "stays", "halts")),
    "sit": ("posture", ("sit", "sits", "sitting", "sat", "seated", "perches", "perched", "perching")),
    "kneel": ("posture", ("kneel", "kneels", "kneeling", "knelt", "kneeled")),
    "crouch": ("posture", ("crouch", "crouches", "crouching", "crouched", "squat", "squats", "squatting", "ducks",
                           "ducking", "ducked", "stoops", "stooping")),
    "lie": ("posture", ("lie", "lies", "lying", "lay", "lays", "sleeps", "sleeping", "slept", "naps", "napping",
                        "sprawls", "sprawled", "sprawling", "reclines", "reclining")),
    "hide": ("posture", ("hide", "hides", "hiding", "hid", "hidden", "cowers", "cowering", "cowered")),
    "peek": ("posture", ("peek", "peeks", "peeking", "peeked", "peers", "peering", "peered", "spies", "spying")),
    "walk": ("motion", ("walk", "walks", "walking", "walked", "strolls", "strolling", "wanders", "wandering",
                        "wandered", "steps", "stepping", "stepped", "paces", "pacing", "marches", "marching",
                        "strides", "striding", "tiptoes", "tiptoeing", "wades", "wading", "trudges", "trudging")),
    "run": ("motion", ("run", "runs", "running", "ran", "races", "racing", "raced", "dashes", "dashing", "dashed",
                       "sprints", "sprinting", "rushes", "rushing", "rushed", "chases", "chasing", "hurries",
                       "hurrying", "flees", "fleeing", "fled", "bolts")),
    "jump": ("motion", ("jump", "jumps", "jumping", "jumped", "hops", "hopping", "hopped", "bounces", "bouncing",
                        "skips", "skipping")),
    "leap": ("motion", ("leap", "leaps", "leaping", "leapt", "leaped", "dives", "diving", "dived", "dove",
                        "springs", "vaults", "vaulting", "plunges", "plunging")),
    "fall": ("motion", ("fall", "falls", "falling", "fell", "trips", "tripping", "tripped", "tumbles", "tumbling",
                        "tumbled", "collapses", "collapsing", "collapsed", "slips", "slipping", "topples")),
    "climb": ("motion", ("climb", "climbs", "climbing", "climbed", "scrambles", "scrambling", "clambers",
                         "clambering", "ascends", "ascending")),
    "dance": ("motion", ("dance", "dances", "dancing", "danced", "twirls", "twirling", "spins", "spinning",
                         "sways", "swaying")),
    "swim": ("motion", ("swim", "swims", "swimming", "swam", "paddles", "paddling", "floats", "floating")),
    "enter": ("motion", ("enter", "enters", "entering", "entered", "arrives", "arriving", "arrived", "appears",
                         "appearing", "emerges", "emerging", "comes", "coming", "came")),
    "exit": ("motion", ("exit", "exits", "exiting", "exited", "leaves", "leaving", "departs", "departing", "goes",
                        "going", "disappears", "vanishes", "retreats")),
    "point": ("gesture", ("point", "points", "pointing", "pointed", "gestures", "gesturing", "indicates",
                          "indicating", "shows", "showing")),
    "wave": ("gesture", ("wave", "waves", "waving", "waved", "beckons", "beckoning", "greets", "greeting", "hails")),
    "reach": ("gesture", ("reach", "reaches", "reaching", "reached", "grabs", "grabbing", "grabbed", "stretches",
                          "stretching", "opens", "opening", "opened", "touches", "touching", "takes", "picks",
                          "presses", "pressing", "pushes", "pushing", "pulls", "pulling")),
    "hold": ("gesture", ("hold", "holds", "holding", "held", "carries", "carrying", "carried", "clutches",
                         "clutching", "grips", "gripping", "lifts", "lifting", "folds", "folding")),
    "hug": ("gesture", ("hug", "hugs", "hugging", "hugged", "embraces", "embracing", "embraced", "cuddles")),
    "fight": ("gesture", ("fight", "fights", "fighting", "fought", "punches", "punching", "hits", "hitting",
                          "strikes", "striking", "attacks", "attacking", "kicks", "kicking", "wrestles", "swings")),
    "throw": ("gesture", ("throw", "throws", "throwing", "threw", "thrown", "tosses", "tossing", "tossed", "hurls",
                          "flings", "launches")),
    "cheer": ("gesture", ("cheer", "cheers", "cheering", "cheered", "celebrates", "celebrating", "rejoices")),
    "shrug": ("gesture", ("shrug", "shrugs", "shrugging", "shrugged")),
    "clap": ("gesture", ("clap", "claps", "clapping", "clapped", "applauds", "applauding")),
    "knock": ("gesture", ("knock", "knocks", "knocking", "knocked", "taps", "tapping", "bangs", "banging")),
    "look": ("head", ("look", "looks", "looking", "looked", "watches", "watching", "watched", "stares", "staring",
                      "stared", "gazes", "gazing", "glances", "glancing", "sees", "saw", "observes", "notices",
                      "spots", "studies", "admires", "listens", "listening")),
    "turn": ("head", ("turn", "turns", "turning", "turned", "faces", "facing")),
    "nod": ("head", ("nod", "nods", "nodding", "nodded", "agrees")),
    "smile": ("face", ("smile", "smiles", "smiling", "smiled", "grins", "grinning", "grinned", "beams", "beaming",
                       "laughs", "laughing", "laughed", "giggles", "giggling", "chuckles", "smirks")),
    "frown": ("face", ("frown", "frowns", "frowning", "frowned", "scowls", "scowling", "sulks", "sulking", "glares",
                       "glaring", "pouts")),
    "cry": ("face", ("cry", "cries", "crying", "cried", "sobs", "sobbing", "weeps", "weeping", "wept")),
    "hesitate": ("face", ("hesitate", "hesitates", "hesitating", "hesitated", "wavers", "falters", "fidgets",
                          "fidgeting", "trembles", "trembling", "shivers", "shivering", "worries")),
    "gasp": ("face", ("gasp", "gasps", "gasping", "gasped", "startles", "startled", "flinches", "gapes", "gaping")),
    "shout": ("face", ("shout", "shouts", "shouting", "shouted", "yells", "yelling", "yelled", "screams",
                       "screaming", "screamed", "calls", "calling", "called", "roars", "roaring")),
}  # fmt: skip

_FORMS = {form: verb for verb, (_, forms) in VERBS.items() for form in forms}
_PRONOUNS = {"he", "she", "they", "it", "both", "together", "everyone", "all", "we", "i", "you"}
_LEADS = {"and", ",", "then", "also", "to", "is", "are", "was", "were", "be", "starts", "start", "begins", "begin",
          "keeps", "keep", "tries", "try", "continues", "still", "now", "suddenly", "quickly", "slowly", "finally",
          "again", "just", "soon", "not", "never", "almost", "gets"} | _PRONOUNS
_SKIP = {"at", "to", "toward", "towards", "with", "over", "behind", "from", "into", "onto", "on", "past", "around",
         "after", "for", "the", "a", "an", "his", "her", "their", "its", "up", "down", "in", "out", "off", "back",
         "across", "along", "through", "under", "beside", "near", "by", "of", "about", "upon", "against", "closer"}
_BREAK = {".", "!", "?", ";", ":", "while", "as", "when", "but", "meanwhile", "whilst", "before", "until",
          "so", "because", "where", "who", "which"}
_ARTICLES = {"the", "a", "an", "his", "her", "their", "its", "my", "our", "your", "this", "that"}
_ENTRY = {"in", "into", "inside"}
_EXIT = {"out", "away", "off", "outside"}
_DOWN = {"off", "down", "into"}
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.'-]*[A-Za-z0-9_]|[A-Za-z0-9_]|[.,!?;:]")


@dataclass(frozen=True)
class Direction:
    """What one character does in a shot: at most one verb per channel, and their particulars."""

    posture: str | None = None
    motion: str | None = None
    gesture: str | None = None
    head: str | None = None
    face: str | None = None
    target: str | None = None
    """A character or prop the verbs are aimed at (point at, hug, look at...)."""
    side: str | None = None
    """left or right: where a movement goes (or, with ``from_side``, comes from)."""
    from_side: bool = False
    down: bool = False
    """A leap that goes off, down or into something: it ends below the frame."""
    gaze: float = 0.0
    """Head tilt for 'looks up' (-) or 'looks down' (+), in degrees."""
    verbs: tuple[str, ...] = field(default_factory=tuple)
    """Every verb read, in order (for people and tests)."""

    def verb(self, channel: str) -> str | None:
        return getattr(self, channel)  # type: ignore[no-any-return]

    def with_verb(self, verb: str) -> Direction:
        """This direction with ``verb`` in its channel (unless the channel has one already)."""
        channel = VERBS[verb][0]
        if self.verb(channel) is not None:
            return replace(self, verbs=(*self.verbs, verb))
        return replace(self, **{channel: verb}, verbs=(*self.verbs, verb))  # type: ignore[arg-type]


def verb_of(word: str) -> str | None:
    """The vocabulary verb a word names, if any."""
    return _FORMS.get(word.lower())


def _tokens(text: str, names: Iterable[str]) -> list[str]:
    """Words (lowercased) and punctuation; a character or prop name stays one token, as written."""
    known = sorted(names, key=len, reverse=True)
    out: list[str] = []
    if known:
        pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(n) for n in known) + r")(?![A-Za-z0-9_])")
        pieces = pattern.split(text)
    else:
        pieces = [text]
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append("\0" + piece)  # a name
        else:
            out.extend(t.lower() for t in _TOKEN.findall(piece))
    return out


def read_action(text: str, characters: Sequence[str], props: Sequence[str] = ()) -> dict[str, Direction]:
    """Each character's direction read from ``text`` (characters without a verb get none)."""
    chars, targets = set(characters), set(characters) | set(props)
    tokens = _tokens(text, targets)
    out: dict[str, Direction] = {}
    subjects: list[str] = []
    last_verb: str | None = None  # the verb whose object may come next
    joined = False  # the previous word joined names ("and"/",") with no verb since the last name

    def give(names: Iterable[str], update: dict[str, object]) -> None:
        for n in names:
            out[n] = replace(out.get(n, Direction()), **update)  # type: ignore[arg-type]

    for k, tok in enumerate(tokens):
        prev = tokens[k - 1] if k else ""
        if tok.startswith("\0"):
            name = tok[1:]
            if last_verb is not None and name != (subjects[-1] if subjects else None):
                if not any(out.get(s, Direction()).target for s in subjects):
                    give(subjects, {"target": name})
                last_verb = None
                continue
            if name not in chars:
                continue
            subjects = [*subjects, name] if joined and subjects else [name]
            joined, last_verb = False, None
            continue
        if tok in _BREAK:
            last_verb, joined = None, False
            continue
        if tok in ("and", ","):
            joined = prev.startswith("\0") and prev[1:] in subjects  # "A and B ..." (not "hugs A and B ...")
            last_verb = None
            continue
        verb = verb_of(tok)
        if verb is not None and subjects and (prev.startswith("\0") or prev in _LEADS or prev.endswith("ly")
                                              or verb_of(prev) is not None):
            for s in subjects:
                out[s] = out.get(s, Direction()).with_verb(verb)
            last_verb, joined = verb, False
            continue
        if last_verb is None:
            continue
        _particle(tok, tokens[k + 1] if k + 1 < len(tokens) else "", last_verb, subjects, out)
        if tok in ("each", "one") and k + 1 < len(tokens) and tokens[k + 1] in ("other", "another") \
                and len(subjects) == 2:
            a, b = subjects
            out[a], out[b] = replace(out[a], target=b), replace(out[b], target=a)
        elif tok not in _SKIP and tok not in ("left", "right", "other", "another", "each", "one") \
                and not (tokens[k - 1] in _ARTICLES or (k > 1 and tokens[k - 2] in _ARTICLES)):
            last_verb = None  # "points at the sea": the sea is no character; stop looking for an object
    return out


def _particle(tok: str, nxt: str, verb: str, subjects: list[str], out: dict[str, Direction]) -> None:
    """Direction words after a verb: sides, entrances and exits, dives, looking up or down."""
    for s in subjects:
        d = out[s]
        if tok in ("left", "right") and d.side is None:
            d = replace(d, side=tok)
        elif tok == "from" and nxt in ("the", "left", "right"):
            d = replace(d, from_side=True)
        elif verb in ("walk", "run") and d.motion == verb and tok in _ENTRY:
            d = replace(d, motion="enter")
        elif verb in ("walk", "run") and d.motion == verb and tok in _EXIT:
            d = replace(d, motion="exit")
        elif verb == "leap" and tok in _DOWN:
            d = replace(d, down=True)
        elif verb == "look" and tok in ("up", "down") and d.gaze == 0.0:
            d = replace(d, gaze=-18.0 if tok == "up" else 22.0)
        out[s] = d
