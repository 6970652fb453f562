"""Consistency gates: score a keyframe with a CLIP-class model and say whether it may be kept.

The keyframe task's ``gates`` parameter (``compiler.film.GatesR.params``) names the thresholds,
the number of retries and the scoring model (kind ``embed``: a transformers CLIP-class directory or
repo with its tokenizer and image processor), which the runtime's model manager loads like any model
(scheduled, counted against the memory budget, evicted; ``TaskRun.models["gates"]``).
Scores are cosine similarities of projected, normalised embeddings:
- ``prompt``: the prompt's text embedding against the keyframe's image embedding;
- ``identity``: for each bound element with reference images, the mean similarity of its references
  to the keyframe, cropped to the element's mask when the shot has a layout (pixels outside the
  mask grey); the lowest element's score counts (every element must look like itself). An element
  the layout shows nowhere is not scored.
Tries use the seeds ``seeds(seed, retries)``: the shot's seed first, then a fixed sequence derived from
it, so the same project renders the same tries.
"""

from __future__ import annotations

from typing import Any

from backends.base import BackendError, TaskRun

__all__ = ["SEED_STEP", "best", "passes", "scorer", "scores", "seeds"]

SEED_STEP = 0x9E3779B1
"""Distance between consecutive tries' seeds (the golden-ratio constant: well spread, never repeating)."""


def seeds(seed: int, retries: int) -> list[int]:
    """The seeds of the first try and of every retry."""
    return [(int(seed) + k * SEED_STEP) % (2**63) for k in range(retries + 1)]


def scorer(task: TaskRun) -> Any:
    """The gates' scoring model: loaded by the runtime's model manager like any model (kind ``embed``,
    ``backends.transformers.embed.Embedder``) and handed to the task as ``TaskRun.models["gates"]``."""
    s = task.models.get("gates")
    if s is None:
        raise BackendError(f"{task.id}: the gates' embed model was not loaded for this task (the runtime hands it "
                           "over as TaskRun.models['gates'])")
    return s


def _image_features(s: Any, images: list[Any]) -> Any:
    import torch

    pixels = s.processor(images=images, return_tensors="pt")["pixel_values"].to(s.model.device)
    with torch.no_grad():
        out = s.model.get_image_features(pixel_values=pixels)
    out = getattr(out, "pooler_output", out)
    return torch.nn.functional.normalize(out.float(), dim=-1)


def _text_features(s: Any, text: str) -> Any:
    import torch

    tokens = s.tokenizer([text], padding=True, truncation=True, return_tensors="pt").to(s.model.device)
    with torch.no_grad():
        out = s.model.get_text_features(input_ids=tokens["input_ids"], attention_mask=tokens.get("attention_mask"))
    out = getattr(out, "pooler_output", out)
    return torch.nn.functional.normalize(out.float(), dim=-1)


def _region(image: Any, mask: Any) -> Any | None:
    """The keyframe cropped to the mask's box, grey outside the mask; None when the mask is empty."""
    from PIL import Image

    box = mask.getbbox()
    if box is None:
        return None
    grey = Image.new("RGB", image.size, (127, 127, 127))
    return Image.composite(image, grey, mask).crop(box)


def scores(s: Any, image: Any, prompt: str | None, references: dict[str, list[Any]],
           masks: dict[str, Any]) -> dict[str, Any]:
    """``prompt`` and ``identity`` scores of ``image`` (None where not asked or nothing to compare), and
    the identity of each element."""
    out: dict[str, Any] = {"prompt": None, "identity": None, "elements": {}}
    if prompt is not None:
        out["prompt"] = round(float((_text_features(s, prompt) @ _image_features(s, [image]).T)[0, 0]), 6)
    for name, refs in sorted(references.items()):
        region = _region(image, masks[name]) if name in masks else image
        if region is None or not refs:
            continue
        sims = _image_features(s, refs) @ _image_features(s, [region]).T
        out["elements"][name] = round(float(sims.mean()), 6)
    if out["elements"]:
        out["identity"] = min(out["elements"].values())
    return out


def passes(score: dict[str, Any], gates: dict[str, Any]) -> bool:
    return all(score[g] is None or score[g] >= gates[g] for g in ("identity", "prompt") if gates.get(g) is not None)


def best(tries: list[dict[str, Any]], gates: dict[str, Any]) -> int:
    """The try that misses its thresholds by the least (the first among equals)."""
    def margin(score: dict[str, Any]) -> float:
        gaps = [score[g] - gates[g] for g in ("identity", "prompt")
                if gates.get(g) is not None and score[g] is not None]
        return min(gaps) if gaps else 0.0

    return max(range(len(tries)), key=lambda i: (margin(tries[i]), -i))
