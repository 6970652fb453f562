"""Blocking: who is drawn in a shot, and where its blocking places them (E341, W340-W342)."""

from __future__ import annotations

from .. import spec
from ..film import ElementR, LineR
from .context import Context


class Blocking(Context):
    def on_screen(self, path: tuple[str | int, ...], mentioned: tuple[ElementR, ...], lines: tuple[LineR, ...],
                  blocking: list[spec.Blocking]) -> tuple[tuple[ElementR, ...], tuple[spec.Blocking, ...]]:
        """The characters drawn in a shot: those the action mentions, those who speak on screen and those
        its blocking places, less those heard only off screen (O.S./V.O.) and not blocked."""
        blocked: dict[str, int] = {}
        for k, b in enumerate(blocking):
            where = (*path, "blocking", k)
            element = self.character(b.who, (*where, "who"))
            if element is None:
                continue
            if b.who in blocked:
                self.error("E341", f"'{b.who}' is blocked twice in this shot", self.span(*where, "who"),
                           f"merge the two entries (the first is entry {blocked[b.who] + 1})")
                continue
            blocked[b.who] = k
            if b.exit is not None and b.to is not None:
                self.warn("W342", f"'{b.who}' exits the frame, so 'to' is ignored", self.span(*where, "to"),
                          "drop 'to', or drop 'exit' to walk them somewhere in the frame")
            elif b.exit is not None and b.enter == b.exit:
                self.warn("W342", f"'{b.who}' enters and exits on the same side; the exit is ignored",
                          self.span(*where, "exit"), "exit on the other side to cross the frame")
            if b.look_at is not None:
                self.character(b.look_at, (*where, "look_at"))
        heard = {ln.character for ln in lines if ln.off_screen}
        seen = {ln.character for ln in lines if not ln.off_screen}
        hidden = heard - seen - set(blocked)
        for who, k in blocked.items():
            if who in heard and who not in seen:
                self.warn("W340", f"'{who}' is blocked in this shot but speaks only off screen; they are drawn",
                          self.span(*path, "blocking", k, "who"), "remove the blocking entry, or 'off_screen'")
        order = [*mentioned, *(self.elements[ln.character] for ln in lines if ln.character in self.elements),
                 *(self.elements[w] for w in blocked)]
        drawn = tuple(e for e in dict.fromkeys(order) if e.kind == "character" and e.name not in hidden)
        names = {e.name for e in drawn}
        for who, k in blocked.items():
            target = blocking[k].look_at
            if target is not None and target in self.elements and target not in names:
                self.warn("W341", f"'{who}' looks at '{target}', who is not in this shot",
                          self.span(*path, "blocking", k, "look_at"), f"add '{target}' to the action or the blocking")
        return drawn, tuple(blocking[k] for k in blocked.values())

    def character(self, name: str, path: tuple[str | int, ...]) -> ElementR | None:
        """The character element ``name`` (E301 unknown, E308 not a character)."""
        return self.element_of("character", name, path)
