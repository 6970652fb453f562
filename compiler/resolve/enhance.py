"""Prompt enhancement: a style's ``enhance`` bound to its language model (W335)."""

from __future__ import annotations

from .. import spec
from ..film import EnhanceR, ModelRef
from .definitions import Definitions


class Enhancement(Definitions):
    def enhancer(self, style_name: str | None, style: spec.Style | None, image: ModelRef, video: ModelRef,
                 card: bool = False) -> EnhanceR | None:
        """The style's prompt enhancement, its model bound (once per style). A card shot gets none (it is
        drawn as text, whatever the prompt says), so it neither gets an enhance task nor counts for W335;
        the model is still bound, so that a typo in its name is reported."""
        if style_name is None or style is None or style.enhance is None:
            return None
        if card:
            self.bind_enhancer(style_name, style.enhance)
            return None
        if image.backend == "procedural" and video.backend != "diffusers" and style_name not in self.unread:
            self.unread.add(style_name)
            self.warn("W335", f"style '{style_name}' enhances prompts, but its shots render with '{image.name}', "
                      "which does not read prompts: the enhancements are made for nothing until an AI model renders "
                      "them", self.span("styles", style_name, "enhance", key=True),
                      "render these shots with a diffusers model, or remove enhance while you make the animatic")
        return self.bind_enhancer(style_name, style.enhance)

    def bind_enhancer(self, style_name: str, e: spec.Enhance) -> EnhanceR | None:
        """The style's enhancement with its model bound (E301 unknown, E308 not of kind llm), once: every
        style's, used by a shot or not (a misspelt model in a style no shot uses yet is still reported)."""
        if style_name not in self.enhancers:
            model = self.model(e.model, "llm", ("styles", style_name, "enhance", "model"))
            self.enhancers[style_name] = EnhanceR(model, e.instructions, e.max_tokens) if "llm" in model.kinds \
                else None
        return self.enhancers[style_name]
