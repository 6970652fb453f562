"""Keyframe gates: the gates a shot's keyframe model applies (W350, W351)."""

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
            model = self.model(chosen.model, "embed", (*path, "model"))
            if "embed" not in model.kinds:
                self._gates[key] = None
            else:
                if chosen.identity is None and chosen.prompt is None:
                    self.warn("W350", "gates without an identity or a prompt threshold never fail",
                              self.span(*path, key=True), "add identity: {min: 0.65} or prompt: {min: 0.25}")
                self._gates[key] = GatesR(model, chosen.identity.min if chosen.identity else None,
                                          chosen.prompt.min if chosen.prompt else None, chosen.retries)
        return self._gates[key]
