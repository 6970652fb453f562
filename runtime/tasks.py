"""Tasks as the runtime handles them: plain data, serialisable, free of pydantic.

The compiler's ``TaskSpec`` becomes a ``Task`` once; the plan cache stores tasks as JSON so that a
no-op build never imports the compiler's heavy modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    uses: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Role -> another model the task uses besides its own, as ``model`` (``gates``: the embed model)."""

    @property
    def models(self) -> list[dict[str, Any]]:
        """Every model the task holds while it runs: its own, then the ones it uses (by role)."""
        return [*([self.model] if self.model else []), *(self.uses[role] for role in sorted(self.uses))]

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
                "params": self.params, "inputs": self.inputs, "files": self.files,
                **({"uses": self.uses} if self.uses else {})}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Task:
        return Task(data["id"], data["kind"], data["backend"], data["key"], data["model"], data["params"],
                    data["inputs"], data["files"], data.get("uses") or {})

    @staticmethod
    def from_spec(spec: TaskSpec) -> Task:
        def entry(m: Any) -> dict[str, Any]:
            return {"name": m.name, "identity": m.identity, "vram_gb": m.vram_gb, "config": m.config(),
                    "backend": m.backend}

        model = None
        if spec.model is not None:
            model = {"name": spec.model.name, "identity": spec.model.identity, "vram_gb": spec.model.vram_gb,
                     "config": spec.model.config()}
        files = {role: {"path": f.path, "absolute": str(f.absolute), "digest": f.digest}
                 for role, f in spec.files.items()}
        return Task(spec.id, spec.kind, spec.backend, spec.key, model, spec.params, dict(spec.inputs), files,
                    {role: entry(m) for role, m in spec.uses.items()})
