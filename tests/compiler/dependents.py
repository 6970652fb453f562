"""Which task kinds read each field of the format: the declared side of test_key_coverage.py.

``DEPENDENTS`` maps every leaf field (its path: ``styles.*.palette``, ``scenes[].shots[].action``) to
the kinds of the tasks whose own key part (parameters, model identity, files, input roles) an edit
of that field changes, space-separated; after ``; next:`` come the kinds of the *next* shot's tasks
it may change too (a transition overlaps the next shot). ``""``: no key may change (free text,
memory estimates, batching: things that never change an output).

A field added to the format fails its test until it is declared here; the failure prints what the
edit changed, ready to paste once a person has judged that it is right. Everything downstream of
the listed tasks (the shots of a changed motion, the film...) is implied, not listed.

``EDITS`` gives a field an edit of its own where a one-value change cannot be valid alone (a
trigger word is used in actions; an audio track's id is named by patterns).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

__all__ = ["DEPENDENTS", "EDITS"]

Doc = dict[str, Any]
Where = tuple[str | int, ...]


def _rename_trigger(doc: Doc, where: Where) -> tuple[Any, Doc]:
    """A new trigger word, and every action that used the old one written with it."""
    out = copy.deepcopy(doc)
    name = where[1]
    old = out["elements"][name].get("trigger") or f"@{name}"
    new = f"{old}Z"
    out["elements"][name]["trigger"] = new
    for scene in out["scenes"]:
        for shot in scene["shots"]:
            if "action" in shot:
                shot["action"] = shot["action"].replace(old, new)
    return new, out


def _rename_track(doc: Doc, where: Where) -> tuple[Any, Doc]:
    """A new id for an audio track, and every pattern that names it named so."""
    out = copy.deepcopy(doc)
    old = out["audio"][where[1]]["id"]
    new = f"{old}-2"
    out["audio"][where[1]]["id"] = new
    for scene in out["scenes"]:
        for shot in scene["shots"]:
            if shot.get("pattern", {}).get("track") == old:
                shot["pattern"]["track"] = new
    return new, out


EDITS: dict[str, Callable[[Doc, Where], tuple[Any, Doc]]] = {
    "elements.*.trigger": _rename_trigger,
    "audio[].id": _rename_track,
}

DEPENDENTS: dict[str, str] = {
    "studio": "",
    "project.title": "film storyboard storyboard_pdf timeline",
    "project.description": "",
    "project.fps": "film masters motion shot soundtrack storyboard_pdf timeline transition",
    "project.resolution": "film keyframe masters motion shot storyboard_pdf timeline transition",
    "project.seed": "keyframe motion",
    "project.style": "keyframe",
    "project.models.image": "keyframe",
    "project.models.video": "motion",
    "project.models.speech": "speech",
    "project.vram_gb": "",  # the schedule's budget: changes the order, never an output
    "project.language": "film speech",  # the film's language tag; the default voice speaks it
    "models.*.backend": "keyframe",
    "models.*.kind": "",  # a model in use cannot change kind and stay valid: only an unused one can
    "models.*.weights": "keyframe",
    "models.*.revision": "keyframe",
    "models.*.dtype": "keyframe",
    "models.*.vram_gb": "",
    "models.*.batch_size": "",  # batched renders are bit-identical to single ones
    "models.*.params": "keyframe",
    "models.*.description": "",
    "styles.*.prompt": "keyframe motion",  # a diffusers video model is prompted too
    "styles.*.negative": "keyframe motion",
    "styles.*.palette": "keyframe",
    "styles.*.lora.weights": "keyframe",
    "styles.*.lora.scale": "keyframe",
    "styles.*.description": "",
    "voices.*.engine": "speech",
    "voices.*.language": "speech",
    "voices.*.variant": "speech",
    "voices.*.pitch": "speech",
    "voices.*.rate": "speech storyboard",  # the storyboard shows an auto shot's estimated length
    "voices.*.volume": "speech",
    "voices.*.range": "speech",
    "voices.*.speaker": "speech",
    "voices.*.emotions.*.pitch": "speech",
    "voices.*.emotions.*.rate": "speech",
    "voices.*.emotions.*.range": "speech",
    "voices.*.emotions.*.volume": "speech",
    "voices.*.description": "",
    "elements.*.kind": "keyframe storyboard_pdf",  # the PDF's cast page lists the characters
    "elements.*.trigger": "",  # a word of the text only: actions are expanded to names
    "elements.*.description": "keyframe motion storyboard_pdf",
    "elements.*.references": "keyframe",
    "elements.*.color": "keyframe storyboard_pdf",
    "elements.*.voice": "speech storyboard",
    "elements.*.lora.weights": "keyframe",
    "elements.*.lora.scale": "keyframe",
    # Ids name files and seeds: a renamed scene renames its tasks, which the film-wide tasks list.
    "scenes[].id": "film keyframe masters motion soundtrack storyboard storyboard_pdf subtitles timeline",
    "scenes[].heading": "storyboard_pdf timeline",
    "scenes[].description": "",
    "scenes[].location": "keyframe",
    "scenes[].style": "keyframe motion",
    "scenes[].models.image": "keyframe",
    "scenes[].models.video": "motion",
    "scenes[].models.speech": "speech",
    "scenes[].shots[].id": "film masters soundtrack storyboard storyboard_pdf subtitles timeline",  # seed given
    "scenes[].shots[].type": "keyframe motion storyboard storyboard_pdf timeline",
    "scenes[].shots[].duration": "motion shot soundtrack storyboard storyboard_pdf",
    "scenes[].shots[].action": "keyframe storyboard storyboard_pdf timeline",
    "scenes[].shots[].camera.move": "motion storyboard_pdf timeline",
    "scenes[].shots[].camera.amount": "motion storyboard_pdf timeline",
    "scenes[].shots[].dialogue[].character": "keyframe shot speech storyboard storyboard_pdf timeline",
    "scenes[].shots[].dialogue[].line": "shot speech storyboard storyboard_pdf timeline",
    "scenes[].shots[].dialogue[].emotion": "speech storyboard_pdf timeline",
    "scenes[].shots[].dialogue[].voice": "speech storyboard",
    # Not read yet: "rendering and import follow" (commit e8a43ee). When the resolver leaves an
    # off-screen speaker out of the picture, this becomes "keyframe" and the test says so.
    "scenes[].shots[].dialogue[].off_screen": "",
    "scenes[].shots[].transition.type":
        "film motion shot soundtrack storyboard_pdf subtitles timeline transition; next: motion shot",
    "scenes[].shots[].transition.duration":
        "film motion shot soundtrack storyboard_pdf subtitles timeline transition; next: motion shot",
    "scenes[].shots[].location": "keyframe",
    "scenes[].shots[].style": "keyframe",
    "scenes[].shots[].models.image": "keyframe",
    "scenes[].shots[].models.video": "motion",
    "scenes[].shots[].models.speech": "speech",
    "scenes[].shots[].seed": "keyframe motion",
    "scenes[].shots[].start.image": "keyframe",
    "scenes[].shots[].start.strength": "keyframe",
    "scenes[].shots[].pattern.track": "motion",
    "scenes[].shots[].pattern.style": "motion",
    "scenes[].shots[].pattern.offset": "motion",
    "scenes[].shots[].notes": "",
    "audio[].id": "motion soundtrack timeline",  # names the track's file role and its copy beside the timeline
    "audio[].file": "motion soundtrack timeline",  # a pattern shot's motion reads its track
    "audio[].kind": "soundtrack timeline",
    "audio[].start": "soundtrack timeline",
    "audio[].at": "soundtrack timeline",
    "audio[].volume": "soundtrack timeline",
    "audio[].duck_under_dialogue": "soundtrack timeline",
    "audio[].loop": "soundtrack timeline",
    "audio[].fade_in": "soundtrack timeline",
    "audio[].fade_out": "soundtrack timeline",
    "output.subtitles": "film shot subtitles",  # burned subtitles are drawn by the shot mix
    "output.loudness": "soundtrack",
    "output.crf": "motion shot transition",
    "output.caption": "keyframe",
    "output.storyboard": "storyboard",
    "output.storyboard_pdf.enabled": "storyboard_pdf",
    "output.storyboard_pdf.panels_per_page": "storyboard_pdf",
    "output.storyboard_pdf.paper": "storyboard_pdf",
    "output.timeline": "timeline",
    "output.masters": "masters",
}
