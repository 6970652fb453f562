"""A local causal language model through transformers, decoded under llguidance's masks.

Weights: a Hugging Face repo id, a local directory (``save_pretrained`` layout) or a ``.gguf``
file, which transformers de-quantises on load (the ``gguf`` package). Device: cuda, then mps,
then cpu; on a CPU the torch thread count is fixed (``threads``, default 1) because it changes the
numerics, and so which token wins.

Decoding is a plain loop over the KV cache, so that each step can be masked, timed, reported and
cancelled: greedy (``seed`` None) or sampling from a generator seeded with ``seed``. Same request,
same weights, same thread count -> the same bytes.
"""

from __future__ import annotations

import gc
import inspect
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.base import pick_device

from .constrain import Constraint, grammar_text, ll_tokenizer
from .request import (
    INSTALL_HINT,
    CallContext,
    Completion,
    LLMCancelled,
    LLMError,
    LLMLimit,
    LLMUnavailable,
    Request,
)

__all__ = ["LocalLLM", "load_local"]

_PROGRESS_EVERY = 16


def _imports() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise LLMUnavailable(f"a local model needs torch and transformers ({exc}); {INSTALL_HINT}") from None
    return torch, transformers



def _source(config: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """(where to load from, from_pretrained keyword arguments, what to call it in messages)."""
    params = config.get("params") or {}
    written = str(config.get("weights") or config.get("path") or "")
    kwargs: dict[str, Any] = {}
    path = config.get("path")
    if path:
        local = Path(path)
        if local.is_file():
            if local.suffix != ".gguf":
                raise LLMUnavailable(f"'{written}' is a file but not a .gguf file; name a model directory, a .gguf "
                                     "file or a repo id")
            return str(local.parent), {"gguf_file": local.name}, written
        if not (local / "config.json").is_file():
            raise LLMUnavailable(f"'{written}' is not a model directory (no config.json); save a model there with "
                                 "save_pretrained, or name a .gguf file or a repo id")
        source = str(local)
    elif written:
        from backends.hub import hub_kwargs

        source = written
        kwargs = hub_kwargs(written, config.get("revision"))
    else:
        raise LLMUnavailable(f"model '{config.get('name')}' has no weights: a repo id, a directory or a .gguf file")
    if params.get("gguf_file"):
        kwargs["gguf_file"] = str(params["gguf_file"])
    return source, kwargs, written


def load_local(config: dict[str, Any]) -> LocalLLM:
    """Load a causal LM and its tokenizer (``config`` as ``ModelRef.config()`` gives it)."""
    torch, transformers = _imports()
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    source, kwargs, written = _source(config)
    device = pick_device()
    dtype_name = config.get("dtype") or ("bfloat16" if device == "cuda" else "float32")
    dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(dtype_name, torch.float32)
    if "gguf_file" in kwargs:
        try:
            import gguf  # noqa: F401  (transformers reads GGUF files through it)
        except ImportError:
            raise LLMUnavailable(f"'{written}' is a GGUF file, which needs the gguf package; {INSTALL_HINT}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
            model = transformers.AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **kwargs)
        except OSError as exc:
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            hint = (f"download it with `huggingface-cli download {written}`" if not config.get("path")
                    else "check the path")
            raise LLMUnavailable(f"language model not found or unreadable: '{written}' ({detail}); {hint}") from None
        except (ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise LLMUnavailable(f"'{written}' cannot be loaded as a causal language model: "
                                 f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None
    model.to(device).eval()
    params = dict(config.get("params") or {})
    return LocalLLM(str(config.get("name") or written), model, tokenizer, device, params)


@dataclass
class LocalLLM:
    name: str
    model: Any
    tokenizer: Any
    device: str
    params: dict[str, Any]
    _ll_tokenizer: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    constrains: bool = True

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_output_embeddings().weight.shape[0])

    def ll_tokenizer(self) -> Any:
        if self._ll_tokenizer is None:
            self._ll_tokenizer = ll_tokenizer(self.tokenizer, self.vocab_size)
        return self._ll_tokenizer

    def prompt_ids(self, request: Request) -> list[int]:
        """The conversation in the model's chat format (plain role lines when it has none)."""
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if getattr(self.tokenizer, "chat_template", None):
            ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
            if hasattr(ids, "keys"):
                ids = ids["input_ids"]
            return [int(i) for i in ids]
        text = "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant: "
        return [int(i) for i in self.tokenizer(text)["input_ids"]]

    def constraint(self, request: Request) -> Constraint | None:
        if request.schema is None and request.grammar is None:
            return None
        return Constraint(self.ll_tokenizer(), grammar_text(request.schema, request.grammar), request.name)

    def complete(self, request: Request, ctx: CallContext | None = None) -> Completion:
        ctx = ctx or CallContext()
        with self._lock:
            return self._complete(request, ctx)

    def _complete(self, request: Request, ctx: CallContext) -> Completion:
        import torch

        if self.device == "cpu":
            torch.set_num_threads(int(self.params.get("threads", 1)))
        constraint = self.constraint(request)
        start = time.perf_counter()
        tokens = decode(self, self.prompt_ids(request), constraint, request, ctx, start)
        text = self.tokenizer.decode(tokens, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        return Completion(text, len(tokens), time.perf_counter() - start, constraint is not None)

    def close(self) -> None:
        import torch

        self.model = self.tokenizer = self._ll_tokenizer = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def memory_gb(self) -> float:
        if self.model is None:
            return 0.0
        return sum(t.numel() * t.element_size() for t in [*self.model.parameters(), *self.model.buffers()]) / 1e9


def _cache_argument(model: Any) -> tuple[str, str]:
    """(forward keyword, output attribute) of the KV cache: ``cache`` in transformers 5, else
    ``past_key_values``."""
    names = inspect.signature(model.forward).parameters
    return ("cache", "cache") if "cache" in names else ("past_key_values", "past_key_values")


def decode(llm: LocalLLM, prompt: list[int], constraint: Constraint | None, request: Request, ctx: CallContext,
           start: float, *, min_tokens: int = 0) -> list[int]:
    """The answer's tokens. ``min_tokens`` (benchmarks) keeps an unconstrained decoder going past
    the end-of-text token so that runs of equal length can be timed."""
    import torch

    model = llm.model
    eos = _eos_ids(llm)
    keyword, attribute = _cache_argument(model)
    generator = None
    if request.seed is not None:
        generator = torch.Generator(device="cpu").manual_seed(int(request.seed))
    out: list[int] = []
    seen = torch.zeros(llm.vocab_size, dtype=torch.bool)
    inputs = torch.tensor([prompt], device=llm.device)
    cache = None
    deadline = start + request.timeout
    with torch.inference_mode():
        for step in range(request.max_tokens + 1):
            if ctx.cancel.is_set():
                raise LLMCancelled(f"'{request.name}' was cancelled")
            if time.perf_counter() > deadline:
                raise LLMLimit(f"'{request.name}' took longer than its limit of {request.timeout:g} s "
                               f"({len(out)} tokens written)")
            result = model(input_ids=inputs, use_cache=True, logits_to_keep=1, **{keyword: cache})
            cache = getattr(result, attribute)
            logits = result.logits[0, -1].float().cpu()
            if request.repetition_penalty != 1.0 and out:
                penalised = logits[seen]
                logits[seen] = torch.where(penalised > 0, penalised / request.repetition_penalty,
                                           penalised * request.repetition_penalty)
            if constraint is not None:
                allowed = torch.from_numpy(constraint.allowed())
                if not bool(allowed.any()):
                    raise LLMError(f"internal error: the grammar of '{request.name}' allows nothing after "
                                   f"{len(out)} tokens")
                logits = logits.masked_fill(~allowed, float("-inf"))
            elif step < min_tokens:
                logits[list(eos)] = float("-inf")
            token = _pick(logits, request, generator)
            if token in eos and (constraint is None or constraint.accepting):
                break
            if step == request.max_tokens:
                if request.truncate:
                    break
                raise LLMLimit(f"'{request.name}' reached its limit of {request.max_tokens} tokens before the "
                               "answer was complete")
            if constraint is not None:
                constraint.take(token)
            out.append(token)
            seen[token] = True
            if ctx.progress is not None and len(out) % _PROGRESS_EVERY == 0:
                ctx.progress(request.name, len(out), time.perf_counter() - start)
            if constraint is not None and constraint.finished:
                break
            inputs = torch.tensor([[token]], device=llm.device)
    if ctx.progress is not None:
        ctx.progress(request.name, len(out), time.perf_counter() - start)
    return out


def _eos_ids(llm: LocalLLM) -> set[int]:
    ids: set[int] = set()
    for value in (llm.tokenizer.eos_token_id, getattr(llm.model.generation_config, "eos_token_id", None)):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(int(v) for v in value)
    return ids


def _pick(logits: Any, request: Request, generator: Any) -> int:
    import torch

    if request.seed is None or request.temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / request.temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))
