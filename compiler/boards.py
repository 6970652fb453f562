"""The printable storyboard's page geometry: where its panels go and how large their pictures print.

Shared by the plan, which asks each shot's ``panel`` task for its picture at the printed size (so the
``storyboard_pdf`` task embeds it as it is, decoding and scaling nothing), and by the pdf backend
(``backends/export/_board.py``), which lays the pages out with the same numbers. Pure arithmetic in
millimetres; no PDF library.
"""

from __future__ import annotations

__all__ = ["DPI", "GRIDS", "PAPER", "Geometry", "line_h", "print_width"]

GRIDS: dict[int, tuple[int, int]] = {1: (1, 1), 2: (2, 1), 3: (3, 1), 4: (2, 2), 6: (3, 2), 8: (4, 2), 9: (3, 3),
                                     12: (4, 3)}
"""Panels per page -> (columns, rows); the spec's ``panels_per_page`` takes exactly these."""
PAPER = {"a4": (297.0, 210.0), "letter": (279.4, 215.9)}
"""Landscape page sizes in mm."""
MARGIN, HEADER, FOOTER, GAP = 12.0, 9.0, 10.0, 6.0
TEXT_SIZES = {1: 11.0, 2: 10.0, 3: 8.5, 4: 7.5}
"""Body text size (pt) by the number of columns; a panel with much to say shrinks it, down to ``MIN_SIZE``."""
MIN_SIZE = 6.0
PT = 25.4 / 72
DPI = 200
"""Resolution a panel's picture prints at (the keyframe is scaled down to it, never up)."""


def line_h(size: float) -> float:
    """Height (mm) of a line of text of ``size`` points."""
    return size * PT * 1.25


class Geometry:
    """A page's grid: ``cols`` x ``rows`` cells of ``cell_w`` x ``cell_h`` mm, each with a picture of
    ``image_w`` x ``image_h`` mm on top and at least seven lines of body text (``size`` pt) under it."""

    def __init__(self, paper: str, per_page: int, resolution: tuple[int, int]) -> None:
        if paper not in PAPER:
            raise ValueError(f"unknown paper {paper!r}")
        if per_page not in GRIDS:
            raise ValueError(f"panels_per_page must be one of {', '.join(map(str, GRIDS))}")
        self.page_w, self.page_h = PAPER[paper]
        self.cols, self.rows = GRIDS[per_page]
        self.per_page = per_page
        self.size = TEXT_SIZES[self.cols]
        self.cell_w = (self.page_w - 2 * MARGIN - (self.cols - 1) * GAP) / self.cols
        self.cell_h = (self.page_h - 2 * MARGIN - HEADER - FOOTER - (self.rows - 1) * GAP) / self.rows
        aspect = resolution[1] / resolution[0]
        text_min = max(self.cell_h * 0.3, 7 * line_h(self.size))
        self.image_w = self.cell_w
        self.image_h = self.cell_w * aspect
        if self.image_h > self.cell_h - text_min:
            self.image_h = max(self.cell_h - text_min, 10.0)
            self.image_w = self.image_h / aspect


def print_width(paper: str, per_page: int, resolution: tuple[int, int]) -> int:
    """Pixels across a panel's picture at ``DPI``: the keyframe's width at most (never scaled up)."""
    return min(resolution[0], max(16, round(Geometry(paper, per_page, resolution).image_w / 25.4 * DPI)))
