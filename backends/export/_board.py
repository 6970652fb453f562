"""The pages of the printable storyboard, drawn on a :class:`._canvas.Sheet` (reportlab, imported with
this module, when a task runs).

Landscape pages; a title page, then panels in a grid of ``panels_per_page`` (``GRIDS``). A panel is
the keyframe in a thin frame, then a label line (number, shot id, shot size, length), a grey line
(the scene heading on a scene's first shot, the camera move, the transition out), the action and
the dialogue, screenplay style (the CHARACTER in bold, the line under it). Text that does not fit
its panel ends in an ellipsis; the whole board uses the fonts in ``fonts/``. The grid's numbers
(``compiler.boards``) are those the plan sized each panel's picture with. The footer's page count is
known before the pages are drawn: the title page, then ``ceil(shots / panels_per_page)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from compiler.boards import FOOTER, GAP, GRIDS, HEADER, MARGIN, MIN_SIZE, PAPER, Geometry, line_h

from ._canvas import Sheet

__all__ = ["GRIDS", "PAPER", "Board"]

INK, GREY, RULE, ACCENT = (30, 30, 36), (110, 110, 120), (200, 200, 208), (27, 73, 101)
Paragraph = tuple[str, float, bool, tuple[int, int, int], float, float]
"""(text, size, bold, colour, indent, space before)."""


def _words(name: str | None) -> str:
    return (name or "").replace("_", " ")


def _seconds(frames: int, fps: int) -> str:
    seconds = frames / fps
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


class Board:
    def __init__(self, paper: str, per_page: int, resolution: tuple[int, int]) -> None:
        grid = Geometry(paper, per_page, resolution)  # the plan sized each panel's picture with the same numbers
        self.page_w, self.page_h = grid.page_w, grid.page_h
        self.cols, self.rows, self.per_page = grid.cols, grid.rows, grid.per_page
        self.pdf = Sheet(self.page_w, self.page_h)
        self.glyphs = self.pdf.glyphs
        self.missing = 0
        self.title = ""
        self.total = 1
        """Pages the board will have (the footer's "n / total")."""
        self.size = grid.size
        self.cell_w, self.cell_h = grid.cell_w, grid.cell_h
        self.image_w, self.image_h = grid.image_w, grid.image_h
        self.slot = 0
        self.scene: str | None = None

    @property
    def pages(self) -> int:
        return self.pdf.pages

    @staticmethod
    def line_h(size: float) -> float:
        return line_h(size)

    def clean(self, text: str, *, count: bool = False) -> str:
        """``text`` with what the fonts lack replaced by U+FFFD (counted in ``missing`` with ``count``),
        and no control characters nor soft hyphens (a line never breaks at one: it would print as a
        hyphen mid-line)."""
        out = []
        for ch in text:
            if ch in "\t\n":
                out.append(" ")
            elif ord(ch) < 32 or ord(ch) == 127 or ch == "\u00ad":
                continue
            elif ord(ch) in self.glyphs:
                out.append(ch)
            else:
                self.missing += count
                out.append("\ufffd")
        return "".join(out)

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(size, bold, color)

    # --- text that fits ------------------------------------------------------------------------
    def lines(self, text: str, width: float) -> list[str]:
        return self.pdf.wrap(text, width)

    def block(self, x: float, y: float, width: float, bottom: float,
              paragraphs: Sequence[tuple[str, float, bool, tuple[int, int, int], float, float]]) -> float:
        """Write ``(text, size, bold, colour, indent, space_before)`` paragraphs down from ``y``; the
        lines that do not fit above ``bottom`` are left out and the last line shown ends in an
        ellipsis. Returns the y below the last line written."""
        rows = []
        for text, size, bold, color, indent, space in paragraphs:
            y += space
            self.font(size, bold, color)
            height = self.line_h(size)
            for line in self.lines(self.clean(text, count=True), width - indent):
                rows.append((y, line, size, bold, color, indent, height))
                y += height
        fit = [r for r in rows if r[0] + r[6] <= bottom + 0.01]
        for i, (top, line, size, bold, color, indent, height) in enumerate(fit):
            self.font(size, bold, color)
            if len(fit) < len(rows) and i == len(fit) - 1:
                line = self.ellipsized(line, width - indent)
            self.pdf.cell(x + indent, top, width - indent, height, line)
        return y if len(fit) == len(rows) else fit[-1][0] + fit[-1][6] if fit else rows[0][0]

    def ellipsized(self, line: str, width: float) -> str:
        line = line.rstrip()
        while line and self.pdf.width(line + "\u2026") > width:
            line = line[:-1].rstrip()
        return line + "\u2026"

    # --- pages ----------------------------------------------------------------------------------
    def header(self) -> None:
        pdf = self.pdf
        self.font(8.5, True)
        pdf.cell(MARGIN, MARGIN, self.page_w / 2, 5, self.clean(self.title))
        self.font(8.5, False, GREY)
        pdf.cell(self.page_w / 2, MARGIN, self.page_w / 2 - MARGIN, 5, "Storyboard", align="R")
        pdf.line(MARGIN, MARGIN + 6, self.page_w - MARGIN, MARGIN + 6, RULE, 0.2)
        self.footer()

    def footer(self) -> None:
        self.font(7.5, False, GREY)
        self.pdf.cell(MARGIN, self.page_h - MARGIN - 4, self.page_w - 2 * MARGIN, 4,
                      f"{self.pdf.pages} / {self.total}", align="C")

    def title_page(self, title: str, shots: Sequence[Mapping[str, Any]], *, total_frames: int, fps: int,
                   cast: Sequence[Mapping[str, Any]]) -> None:
        pdf = self.pdf
        self.title = title
        self.total = 1 + math.ceil(len(shots) / self.per_page)
        pdf.set_info(title, "Storyboard")
        pdf.add_page()
        width = self.page_w - 2 * MARGIN
        self.font(9, True, ACCENT)
        pdf.cell(MARGIN, MARGIN + 14, width, 5, "STORYBOARD")
        y = self.block(MARGIN, MARGIN + 22, width, self.page_h / 2, [(title, 30, True, INK, 0, 0)])
        scenes: dict[str, tuple[str | None, int]] = {}
        for shot in shots:
            scene = str(shot["id"]).split("/", 1)[0]
            heading, count = scenes.get(scene, (shot.get("heading"), 0))
            scenes[scene] = (heading, count + 1)
        facts = (f"{len(shots)} shot{'s' * (len(shots) != 1)} in {len(scenes)} scene{'s' * (len(scenes) != 1)}"
                 f"  \u00b7  {_seconds(total_frames, fps)} ({total_frames} frames at {fps} fps)")
        y = self.block(MARGIN, y + 2, width, self.page_h, [(facts, 11, False, GREY, 0, 0)])
        pdf.line(MARGIN, y + 4, MARGIN + 40, y + 4, ACCENT, 0.6)
        top = y + 12
        column = (width - GAP * 2) / 2
        bottom = self.page_h - MARGIN - FOOTER
        self.font(10, True)
        pdf.cell(MARGIN, top, column, 6, "Scenes")
        rows = [(f"{scene}  {heading or ''}".rstrip(), 9, True, INK, 0, 1.5) for scene, (heading, _) in scenes.items()]
        paragraphs = []
        for (text, *rest), (_, count) in zip(rows, scenes.values(), strict=True):
            paragraphs.append((text, *rest))
            paragraphs.append((f"{count} shot{'s' * (count != 1)}", 8, False, GREY, 0, 0))
        self.block(MARGIN, top + 7, column, bottom, paragraphs)  # type: ignore[arg-type]
        if cast:
            x = MARGIN + column + GAP * 2
            self.font(10, True)
            pdf.cell(x, top, column, 6, "Cast")
            y = top + 7
            for person in cast:
                y += 1.5
                color = str(person.get("color") or "#9aa0a6")
                pdf.fill(x, y + 0.8, 3, 3, (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)))
                y = self.block(x + 5, y, column - 5, bottom, [(str(person["name"]), 9, True, INK, 0, 0),
                                                               (str(person.get("description") or ""), 8, False,
                                                                GREY, 0, 0)])
        self.footer()

    def panel(self, number: int, shot: Mapping[str, Any], frames: int, fps: int, picture: bytes) -> None:
        pdf = self.pdf
        if self.slot % self.per_page == 0:
            pdf.add_page()
            self.header()
        col, row = (self.slot % self.per_page) % self.cols, (self.slot % self.per_page) // self.cols
        self.slot += 1
        x = MARGIN + col * (self.cell_w + GAP) + (self.cell_w - self.image_w) / 2  # centred in its cell
        y = MARGIN + HEADER + row * (self.cell_h + GAP)
        bottom = y + self.cell_h
        pdf.image(picture, x, y, self.image_w, self.image_h)
        pdf.rect(x, y, self.image_w, self.image_h, GREY, 0.2)
        size, w = self.size, self.image_w  # text lines up with the picture
        y += self.image_h + 1.5
        # the label: number and id on the left, size and length on the right (or, when both do not
        # fit, the size and length at the head of the grey line: the id is never cut short)
        label = f"{number}"
        self.font(size, True, ACCENT)
        label_w = pdf.width(label) + 2.5
        pdf.cell(x, y, label_w, self.line_h(size), label)
        self.font(size, True)
        shot_id = self.clean(str(shot["id"]), count=True)
        id_w = pdf.width(shot_id)
        facts = f"{_words(shot.get('type'))}  \u00b7  {_seconds(frames, fps)}  \u00b7  {frames} fr"
        self.font(size - 1, False, GREY)
        facts_w = pdf.width(facts)
        inline = label_w + id_w + 3 + facts_w <= w
        if inline:
            pdf.cell(x + w - facts_w, y, facts_w, self.line_h(size), facts, align="R")
        self.font(size, True)
        if label_w + id_w > w:
            shot_id = self.ellipsized(shot_id, w - label_w)
        pdf.cell(x + label_w, y, w - label_w, self.line_h(size), shot_id)
        y += self.line_h(size)
        scene = str(shot["id"]).split("/", 1)[0]
        first = scene != self.scene
        self.scene = scene
        for smaller in range(0, int((size - MIN_SIZE) * 2) + 1):  # shrink the text before cutting it
            paragraphs = self.text(shot, size - smaller / 2, first, None if inline else facts)
            if self.height(paragraphs, w) <= bottom - y:
                break
        self.block(x, y, w, bottom, paragraphs)

    def height(self, paragraphs: Sequence[tuple[str, float, bool, tuple[int, int, int], float, float]],
               width: float) -> float:
        total = 0.0
        for text, size, bold, _, indent, space in paragraphs:
            self.font(size, bold)
            total += space + len(self.lines(self.clean(text), width - indent)) * self.line_h(size)
        return total

    def text(self, shot: Mapping[str, Any], size: float, first: bool, facts: str | None) -> list[Paragraph]:
        """The panel's paragraphs below the label; ``first``: the scene's first shot (with its heading);
        ``facts``: size and length, when the label had no room for them."""
        camera = shot.get("camera") or {}
        move = _words(camera.get("move")) or "static"
        if camera.get("amount") is not None:
            move += f" {float(camera['amount']):g}"
        transition = shot.get("transition")
        out = f"\u2192 {transition['type']} {float(transition['duration']):g} s" if transition else "\u2192 cut"
        notes = [f"camera {move}", out]
        if first and shot.get("heading"):
            notes.insert(0, str(shot["heading"]))
        if facts:
            notes.insert(0, facts)
        small = size - 1
        paragraphs: list[Paragraph] = [("  \u00b7  ".join(notes), small, False, GREY, 0.0, 0.0)]
        if shot.get("action"):
            paragraphs.append((str(shot["action"]), size, False, INK, 0, 1.2))
        for line in shot.get("dialogue", ()):
            cue = str(line["character"]).upper() + (f" ({line['emotion']})" if line.get("emotion") else "")
            paragraphs.append((cue, small, True, INK, 3.0, 1.2))
            paragraphs.append((str(line["text"]), size, False, INK, 3.0, 0))
        return paragraphs

    def output(self) -> bytes:
        return self.pdf.output()
