"""Embedding models (kind ``embed``): a CLIP-class model with its tokenizer and image processor.

``load_embed(model)`` loads a transformers model that has ``get_image_features`` and
``get_text_features`` (CLIP, SigLIP) from a local directory or a repo id at its resolved
revision, with the tokenizer and image processor saved beside it. The runtime's model manager
loads it like any model (counted against the memory budget, evicted, its loads in the report);
a task that uses it besides its own model (a gated keyframe: ``backends/diffusers/_gates.py``)
finds it in ``TaskRun.models``. It runs no task of its own.
"""

from __future__ import annotations

import gc
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

from backends.base import BackendError, pick_device
from backends.hub import hub_kwargs

__all__ = ["Embedder", "load_embed"]


@dataclass
class Embedder:
    """A loaded embedding model: what ``_gates`` scores with."""

    name: str
    model: Any
    tokenizer: Any
    processor: Any
    device: str
    lock: threading.Lock = field(default_factory=threading.Lock)

    def memory_gb(self) -> float:
        if self.model is None:
            return 0.0
        return sum(t.numel() * t.element_size() for t in [*self.model.parameters(), *self.model.buffers()]) / 1e9

    def close(self) -> None:
        import torch

        self.model = self.tokenizer = self.processor = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def load_embed(model: dict[str, Any]) -> Embedder:
    import transformers

    from . import _quiet

    _quiet()
    name = str(model.get("name"))
    source = model.get("path") or model.get("weights")
    if not source:
        raise BackendError(f"model '{name}' has no weights: set weights to a repo id or a local path")
    kwargs = {} if model.get("path") else hub_kwargs(str(source), model.get("revision"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            net = transformers.AutoModel.from_pretrained(source, **kwargs).eval()
            tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
            processor = transformers.AutoImageProcessor.from_pretrained(source, **kwargs)
        except OSError as exc:
            from . import _not_found

            raise _not_found(model.get("weights"), bool(model.get("path")), model.get("revision"), exc,
                             "embed model") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise BackendError(f"model '{name}' ({model.get('weights')}) cannot be loaded as an embed model: "
                               f"{type(exc).__name__}: {str(exc).strip()[:300]}") from None
    if not (hasattr(net, "get_image_features") and hasattr(net, "get_text_features")):
        raise BackendError(f"model '{name}' ({model.get('weights')}) is a {type(net).__name__}; an embed model "
                           "needs image and text embeddings (a CLIP or SigLIP model)")
    device = pick_device()
    return Embedder(name, net.to(device), tokenizer, processor, device)
