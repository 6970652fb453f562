"""Keyframe gates: the gates a shot's keyframe model applies (W350, W351), and every gates' scoring
model bound, used by a shot or not."""

from __future__ import annotations

from ..film import GatesR, ModelRef
from .definitions import Definitions


class Gates(Definitions):
    def gates(self, image_model: ModelRef) -> GatesR | None:
        """The gates of a keyframe model: its own, else the project's; only diffusers keyframes are gated
        (a procedural keyframe is the layout itself)."""
        cfg = self.p.models.get(image_model.name)
        own = cfg.gates if cfg is not None else None
        chosen, path = (own, ("models", image_model.name, "gates")) if own is not None else \
            (self.p.project.gates, ("project", "gates"))
        if chosen is None or image_model.backend != "diffusers":
            if own is not None and path not in self._gates:
                self._gates[path] = None
                self.warn("W351", f"gates of model '{image_model.name}' ({image_model.backend}) are ignored: "
                          "only diffusers keyframes are gated",
                          self.span(*path, key=True), "move gates to a diffusers image model, or remove them")
            return None
        key = path
        if key not in self._gates:
            model = self.gate_model(path, chosen.model)
            if "embed" not in model.kinds:
                self._gates[key] = None
            else:
                if chosen.identity is None and chosen.prompt is None:
                    self.warn("W350", "gates without an identity or a prompt threshold never fail",
                              self.span(*path, key=True), "add identity: {min: 0.65} or prompt: {min: 0.25}")
                self._gates[key] = GatesR(model, chosen.identity.min if chosen.identity else None,
                                          chosen.prompt.min if chosen.prompt else None, chosen.retries)
        return self._gates[key]

    def gate_model(self, path: tuple[str, ...], name: str) -> ModelRef:
        """The scoring model of the gates at ``path`` (E301 unknown, E308 not of kind embed), once."""
        if path not in self.gate_models:
            self.gate_models[path] = self.model(name, "embed", (*path, "model"))
        return self.gate_models[path]

    def bind_gate_models(self) -> None:
        """Every gates' scoring model, the project's and each model config's, bound whether or not a shot
        uses those gates: a misspelt name in gates no keyframe applies yet is no less a mistake, and
        ``check`` says so now rather than when the gates come into use."""
        found = [(("project", "gates"), self.p.project.gates),
                 *((("models", name, "gates"), cfg.gates) for name, cfg in self.p.models.items())]
        for path, gates in found:
            if gates is not None:
                self.gate_model(path, gates.model)
