"""The ``enhance`` task: a language model rewrites one shot's image prompt.

In: params ``prompt`` (the style's rendered prompt), ``instructions``, ``max_tokens``, ``format``.
Out: ``prompt`` (``prompt.txt``, the rewritten prompt, one line) and meta ``prompt`` (the same text,
which ``compiler.settle`` puts into the keyframe's parameters) and ``tokens``.

A local model writes under a grammar (one line of ordinary text, at most four characters per token
allowed); a remote one is asked for one line and its first line is taken. Either way the text is
cleaned (quotes, labels and runs of spaces dropped) and cut at ``max_tokens``; an empty answer fails
the task.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from backends.base import BackendError, Result, TaskRun

from .request import CallContext, LLMError, Message, Request

__all__ = ["SYSTEM", "enhance"]

SYSTEM = (
    "You rewrite prompts for a text-to-image model. Keep every person, place and thing of the prompt and what "
    "they do; add concrete visual detail: light, colour, composition, texture. Answer with the new prompt only, "
    "on one line, without quotes or explanations.")
_LABEL = re.compile(r"^(?:new |enhanced |improved )?prompt\s*:\s*", re.IGNORECASE)


def _grammar(chars: int) -> str:
    return f'start: LINE\nLINE: /[A-Za-z0-9"(][^\\n\\r]{{0,{max(chars - 1, 1)}}}/\n'


def _clean(text: str, limit: int) -> str:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = _LABEL.sub("", " ".join(line.split()))
    if len(line) >= 2 and line[0] == line[-1] and line[0] in "\"'":
        line = line[1:-1].strip()
    return line[:limit].strip()


def enhance(task: TaskRun, llm: Any, params: dict[str, Any]) -> Result:
    """Run one ``enhance`` task on a loaded model (local or remote); ``params`` are the model's."""
    p = task.params
    if task.kind != "enhance":
        raise BackendError(f"{task.id}: a language model runs enhance tasks, not {task.kind}")
    prompt = str(p.get("prompt", "")).strip()
    if not prompt:
        raise BackendError(f"{task.id}: the shot's prompt is empty; write an action for the shot")
    max_tokens = int(p.get("max_tokens", 120))
    chars = 4 * max_tokens
    instructions = str(p.get("instructions") or "").strip()
    system = SYSTEM + (f"\nInstructions: {instructions}" if instructions else "")
    seed = params.get("seed")
    request = Request(
        (Message("system", system), Message("user", prompt)), grammar=_grammar(chars),
        max_tokens=max_tokens, timeout=float(params.get("timeout", 300)), truncate=True, name=task.id,
        seed=int(seed) if isinstance(seed, int) else None, temperature=float(params.get("temperature", 0.7)),
        repetition_penalty=float(params.get("repetition_penalty", 1.0)))
    ctx = CallContext(progress=lambda _name, done, _s: task.report(min(done, max_tokens), max_tokens))
    if task.cancel is not None:
        ctx.cancel = task.cancel
    try:
        answer = llm.complete(request, ctx)
    except LLMError as exc:
        raise BackendError(f"{task.id}: {exc}") from None
    text = _clean(answer.text, chars)
    if not text:
        raise BackendError(f"{task.id}: the language model wrote an empty prompt; try another model or other "
                           "instructions")
    path = Path(task.workdir) / "prompt.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return Result(outputs={"prompt": path}, meta={"prompt": text, "tokens": answer.tokens})
