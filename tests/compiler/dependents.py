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
trigger word is used in actions; an audio track's id is named by patterns), or where the generated
change would show nothing (O.S. -> V.O.: both keep the speaker out of the picture).
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


def _unset(doc: Doc, where: Where) -> tuple[Any, Doc]:
    """The field removed: where its values differ only in wording (O.S. and V.O. both keep a speaker
    out of the picture), the generated edit to another value shows nothing; removing it does."""
    out = copy.deepcopy(doc)
    node: Any = out
    for part in where[:-1]:
        node = node[part]
    del node[where[-1]]
    return None, out


EDITS: dict[str, Callable[[Doc, Where], tuple[Any, Doc]]] = {
    "elements.*.trigger": _rename_trigger,
    "audio[].id": _rename_track,
    "scenes[].shots[].dialogue[].off_screen": _unset,
}

DEPENDENTS: dict[str, str] = {
    "studio": "",
    "project.title": "film storyboard storyboard_pdf timeline",
    "project.description": "",
    "project.fps": "film masters motion shot soundtrack storyboard storyboard_pdf subtitles timeline transition",
    "project.resolution": "backdrop film keyframe layout masters motion shot storyboard_pdf timeline transition",
    "project.seed": "keyframe layout motion",
    "project.style": "backdrop enhance keyframe layout",  # the palette is painted into the backdrop
    "project.models.image": "keyframe",
    "project.models.video": "motion",
    "project.models.speech": "speech",
    "project.vram_gb": "",  # the schedule's budget: changes the order, never an output
    "project.language": "film speech",  # the film's language tag; the default voice speaks it
    # Gates score and re-render diffusers keyframes; a threshold changes which try is kept.
    "project.gates.model": "keyframe",
    "project.gates.identity.min": "keyframe",
    "project.gates.prompt.min": "keyframe",
    "project.gates.retries": "keyframe",
    "models.*.backend": "backdrop keyframe layout",  # a procedural model is not gated: no layout; it paints a backdrop
    "models.*.kind": "",  # a model in use cannot change kind and stay valid: only an unused one can
    "models.*.weights": "keyframe",
    "models.*.revision": "keyframe",
    "models.*.dtype": "keyframe",
    "models.*.vram_gb": "",
    "models.*.batch_size": "",  # batched renders are bit-identical to single ones
    "models.*.num_gpus": "",  # where a Ray actor runs, never what it renders
    "models.*.params": "keyframe",
    "models.*.gates.model": "keyframe",
    "models.*.gates.identity.min": "keyframe",
    "models.*.gates.prompt.min": "keyframe",
    "models.*.gates.retries": "keyframe",
    "models.*.description": "",
    "styles.*.prompt": "enhance keyframe motion",  # a diffusers video model is prompted too
    "styles.*.negative": "keyframe motion",
    "styles.*.palette": "backdrop keyframe layout",
    "styles.*.lora.weights": "keyframe",
    "styles.*.lora.scale": "keyframe",
    "styles.*.enhance.model": "enhance",
    "styles.*.enhance.instructions": "enhance",
    "styles.*.enhance.max_tokens": "enhance",
    "styles.*.description": "",
    "voices.*.engine": "speech",
    "voices.*.language": "speech",
    "voices.*.variant": "speech",
    "voices.*.pitch": "speech",
    "voices.*.rate": "speech",  # an auto shot's length settles from the speech (downstream), not from the rate
    "voices.*.volume": "speech",
    "voices.*.range": "speech",
    "voices.*.speaker": "speech",
    "voices.*.emotions.*.pitch": "speech",
    "voices.*.emotions.*.rate": "speech",
    "voices.*.emotions.*.range": "speech",
    "voices.*.emotions.*.volume": "speech",
    "voices.*.description": "",
    "elements.*.kind": "keyframe layout storyboard_pdf",  # the PDF's cast page lists the characters
    "elements.*.trigger": "",  # a word of the text only: actions are expanded to names
    "elements.*.description": "enhance keyframe layout motion storyboard_pdf",
    "elements.*.references": "keyframe layout",  # a figure's colours,
    "elements.*.color": "keyframe layout storyboard_pdf",
    "elements.*.voice": "speech",
    "elements.*.lora.weights": "keyframe",
    "elements.*.lora.scale": "keyframe",
    # Ids name files and seeds: a renamed scene renames its tasks, which the film-wide tasks list.
    "scenes[].id": "film keyframe layout masters motion soundtrack storyboard storyboard_pdf subtitles timeline",
    "scenes[].heading": "keyframe layout storyboard_pdf timeline",  # the setting (time, interior) drawn,
    "scenes[].description": "",
    "scenes[].location": "keyframe layout",
    "scenes[].style": "enhance keyframe layout motion",
    "scenes[].models.image": "backdrop keyframe layout",  # procedural: a backdrop task
    "scenes[].models.video": "motion",
    "scenes[].models.speech": "speech",
    "scenes[].shots[].id": "film masters soundtrack storyboard storyboard_pdf subtitles timeline",  # seed given
    "scenes[].shots[].type": "enhance keyframe layout motion storyboard storyboard_pdf timeline",
    "scenes[].shots[].duration": "motion shot soundtrack storyboard storyboard_pdf subtitles",
    "scenes[].shots[].action": "enhance keyframe layout storyboard storyboard_pdf timeline",
    "scenes[].shots[].card": "keyframe",  # the card is the keyframe's picture
    "scenes[].shots[].camera": "motion storyboard storyboard_pdf timeline",  # the storyboard marks moves
    "scenes[].shots[].dialogue[].character": "keyframe layout motion speech storyboard storyboard_pdf timeline",
    "scenes[].shots[].dialogue[].line": "speech storyboard storyboard_pdf subtitles timeline",
    "scenes[].shots[].dialogue[].emotion": "speech storyboard_pdf timeline",
    "scenes[].shots[].dialogue[].voice": "speech",
    # An off-screen speaker is not drawn, nor counted among the speakers the staging turns to (the
    # edit unsets it on a line of a character the action draws anyway: the speakers change, not the cast).
    "scenes[].shots[].dialogue[].off_screen": "keyframe layout",
    "scenes[].shots[].transition.type":  # the panel marks the transition out
        "film motion panel shot soundtrack storyboard storyboard_pdf subtitles timeline transition; next: motion shot",
    "scenes[].shots[].transition.duration":
        "film motion panel shot soundtrack storyboard storyboard_pdf subtitles timeline transition; next: motion shot",
    "scenes[].shots[].location": "keyframe layout",
    "scenes[].shots[].style": "enhance keyframe layout",
    "scenes[].shots[].models.image": "backdrop keyframe layout",
    "scenes[].shots[].models.video": "motion",
    "scenes[].shots[].models.speech": "speech",
    "scenes[].shots[].seed": "keyframe layout motion",
    "scenes[].shots[].start.image": "keyframe",
    "scenes[].shots[].start.strength": "keyframe",
    "scenes[].shots[].end.image": "motion",
    "scenes[].shots[].end.shot": "motion",  # which keyframe the motion ends on
    "scenes[].shots[].pattern.track": "motion",
    "scenes[].shots[].pattern.style": "motion",
    "scenes[].shots[].pattern.offset": "motion",
    # Staging: the keyframe's parameters, and the layout's where a ControlNet or an identity gate reads it.
    "scenes[].shots[].blocking[].who": "keyframe layout",
    "scenes[].shots[].blocking[].at": "keyframe layout",
    "scenes[].shots[].blocking[].depth": "keyframe layout",
    "scenes[].shots[].blocking[].pose": "keyframe layout",
    "scenes[].shots[].blocking[].to": "keyframe layout",
    "scenes[].shots[].blocking[].enter": "keyframe layout",
    "scenes[].shots[].blocking[].exit": "keyframe layout",
    "scenes[].shots[].blocking[].facing": "keyframe layout",
    "scenes[].shots[].blocking[].look_at": "keyframe layout",
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
    "output.subtitles": "film subtitles",  # soft -> none; burn would change the shots and transitions too
    "output.loudness": "soundtrack",
    "output.crf": "motion shot transition film",  # the film re-encodes a segment that cannot be copied with it
    "output.caption": "keyframe shot transition film",  # drawn on the keyframe and over the move (the film
    # then joins the shots' pictures, with the caption, instead of the motions'),
    "output.storyboard": "panel storyboard",  # a panel makes the pictures of the boards that are made
    "output.storyboard_pdf.enabled": "panel storyboard_pdf",
    "output.storyboard_pdf.panels_per_page": "storyboard_pdf",
    "output.storyboard_pdf.paper": "storyboard_pdf",
    "output.timeline": "timeline",
    "output.masters": "masters",
}
