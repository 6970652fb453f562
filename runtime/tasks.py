"""Tasks as the runtime handles them: plain data, serialisable, free of pydantic.

The compiler's ``TaskSpec`` becomes a ``Task`` once; the plan cache stores tasks as JSON so that a
no-op build never imports the compiler's heavy modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compiler.plan import TaskSpec

__all__ = ["Task"]


@dataclass(frozen=True)
class Task:
    id: str
    kind: str
    backend: str
    key: str
    model: dict[str, Any] | None
    """``{"name", "identity", "vram_gb", "config"}`` or None for tool tasks."""
    params: dict[str, Any]
    inputs: dict[str, str]
    files: dict[str, dict[str, str]]
    """Role -> ``{"path", "absolute", "digest"}``."""

    @property
    def model_identity(self) -> str | None:
        return self.model["identity"] if self.model else None

    @property
    def vram_gb(self) -> float:
        return float(self.model["vram_gb"]) if self.model else 0.0

    def file_paths(self) -> dict[str, Path]:
        return {role: Path(f["absolute"]) for role, f in self.files.items()}

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "backend": self.backend, "key": self.key, "model": self.model,
                "params": self.params, "inputs": self.inputs, "files": self.files}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Task:
        return Task(data["id"], data["kind"], data["backend"], data["key"], data["model"], data["params"],
                    data["inputs"], data["files"])

    @staticmethod
    def from_spec(spec: TaskSpec) -> Task:
        model = None
        if spec.model is not None:
            model = {"name": spec.model.name, "identity": spec.model.identity, "vram_gb": spec.model.vram_gb,
                     "config": spec.model.config()}
        files = {role: {"path": f.path, "absolute": str(f.absolute), "digest": f.digest}
                 for role, f in spec.files.items()}
        return Task(spec.id, spec.kind, spec.backend, spec.key, model, spec.params, dict(spec.inputs), files)
