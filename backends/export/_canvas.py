"""The surface the storyboard is drawn on: reportlab's canvas, in millimetres from each page's top-left
corner. reportlab is imported with this module, which ``pdf.py`` imports only when a task runs: 0.02 s
beside what a build has already imported (0.04 s alone), against 0.2-0.28 s for fpdf2, which drew the
board before.

- Fonts: DejaVu Sans regular and bold (``fonts/``), parsed once a process (6 ms) and embedded in each
  PDF as subsets of the glyphs it uses, TrueType with a ToUnicode map, so the text can be searched and
  copied.
- Pictures: a JPEG is embedded as it is (``DCTDecode``): nothing decodes, scales or re-encodes it.
- Text: :meth:`Sheet.cell` places one line as the board's layout was drawn: its text 1 mm (``PAD``)
  inside the cell, its baseline half the cell's height plus 0.3 of the font size down from the cell's
  top; :meth:`Sheet.wrap` breaks a paragraph into lines that fit a cell at its breaking spaces (a word
  longer than a line at its last character that fits).
- Determinism: the same drawing gives the same bytes in every process: reportlab's invariant mode, a
  fixed creation date (``SOURCE_DATE_EPOCH`` does not move it), no ASCII85 (reportlab's default, which
  would also grow each embedded JPEG by a quarter), and a document id that is a digest of the file.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics, pdfutils
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = ["CREATED", "PAD", "Sheet"]

FONTS = Path(__file__).parent / "fonts"
MM = 72 / 25.4
"""Points a millimetre."""
PAD = 1.0
"""Millimetres between a cell's edge and its text."""
CREATED = "D:20000101000000+00'00'"
"""The creation date every board carries (a real date would change its bytes on every build)."""
BREAKS = frozenset(" \t\u200b\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000")
"""Where a line may break (the space itself is dropped there); a no-break space is not one of them."""
_ID = re.compile(rb"/ID \n\[<([0-9a-f]{32})><([0-9a-f]{32})>\]")
Colour = tuple[int, int, int]

rl_config.useA85 = 0  # binary streams: ASCII85 would grow every picture by a quarter (this process only)
_lock = threading.Lock()
_fonts: dict[bool, Any] = {}


def _registered() -> dict[bool, Any]:
    """bold -> DejaVu Sans (regular or bold) as a reportlab font, parsed and registered once a process."""
    with _lock:
        if not _fonts:
            for bold, file in ((False, "DejaVuSans.ttf"), (True, "DejaVuSans-Bold.ttf")):
                font = TTFont(f"studio-{file[:-4]}", str(FONTS / file))
                pdfmetrics.registerFont(font)
                _fonts[bold] = font
        return _fonts


class _Jpeg:
    """A JPEG as reportlab's ``drawImage`` takes one without decoding it: an object with ``jpeg_fh()``
    (the image object copies the stream as it is, ``DCTDecode``), named by its digest (so one picture
    drawn twice is embedded once, and the name is the same in every process)."""

    def __init__(self, data: bytes) -> None:
        try:
            pdfutils.readJPEGInfo(io.BytesIO(data))
        except Exception as exc:  # reportlab would silently embed its placeholder picture instead
            raise ValueError(f"not a JPEG reportlab can embed: {exc}") from None
        self.data = data
        self.name = hashlib.sha256(data).hexdigest()

    def __str__(self) -> str:
        return self.name

    def jpeg_fh(self) -> io.BytesIO:
        return io.BytesIO(self.data)


class Sheet:
    """A PDF of ``width`` x ``height`` mm pages, drawn top-down in millimetres."""

    def __init__(self, width: float, height: float) -> None:
        self.fonts = _registered()
        self.glyphs = frozenset(self.fonts[False].face.charToGlyph) & frozenset(self.fonts[True].face.charToGlyph)
        """The characters both fonts have."""
        self.height = height
        self.buffer = io.BytesIO()
        # initialFontName: a TrueType font sets no font at the start of each page, so reportlab's default
        # (Helvetica, not embedded) stays out of the file
        self.canvas = Canvas(self.buffer, pagesize=(width * MM, height * MM), invariant=1, pageCompression=1,
                             initialFontName=self.fonts[False].fontName)
        self.canvas.setCreator("studio")
        self.canvas.setDateFormatter(lambda *_: CREATED)
        self.pages = 0
        self.size, self.bold, self.colour = 12.0, False, (0, 0, 0)

    def add_page(self) -> None:
        if self.pages:
            self.canvas.showPage()
        self.pages += 1

    def set_info(self, title: str, subject: str) -> None:
        self.canvas.setTitle(title)
        self.canvas.setSubject(subject)
        self.canvas.setAuthor("")

    def set_font(self, size: float, bold: bool, colour: Colour) -> None:
        self.size, self.bold, self.colour = size, bold, colour

    def width(self, text: str) -> float:
        """Millimetres across ``text`` in the current font."""
        return float(self.fonts[self.bold].stringWidth(text, self.size)) / MM

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` in lines that fit cells ``width`` mm wide in the current font: each line breaks at its
        last breaking space that fits (the space dropped), or, in a word longer than a line, after its last
        character that fits."""
        face = self.fonts[self.bold].face
        widths, default = face.charWidths, face.defaultWidth
        limit = (width - 2 * PAD) * MM * 1000 / self.size + 1e-9  # in the font's 1/1000 em
        lines: list[str] = []
        start, i, run, space = 0, 0, 0.0, -1
        while i < len(text):
            ch = text[i]
            advance = widths.get(ord(ch), default)
            if run + advance <= limit:
                space = i if ch in BREAKS else space
                run += advance
                i += 1
                continue
            if ch in BREAKS:
                lines.append(text[start:i])
                start = i + 1
            elif space >= 0:
                lines.append(text[start:space])
                start = space + 1
            elif i > start:
                lines.append(text[start:i])
                start = i
            else:
                raise ValueError(f"a cell {width:.1f} mm wide has no room for {ch!r}")
            i, run, space = start, 0.0, -1
        if run:
            lines.append(text[start:])
        return lines

    def cell(self, x: float, y: float, w: float, h: float, text: str, align: str = "L") -> None:
        """One line of ``text`` in the cell at (``x``, ``y``), ``w`` x ``h`` mm: left (``L``), right (``R``)
        or centred (``C``), nothing clipped."""
        if not text:
            return
        dx = PAD if align == "L" else (w - self.width(text)) / 2 if align == "C" else w - PAD - self.width(text)
        baseline = y + 0.5 * h + 0.3 * self.size / MM
        canvas = self.canvas
        canvas.setFont(self.fonts[self.bold].fontName, self.size)
        canvas.setFillColorRGB(*(c / 255 for c in self.colour))
        canvas.drawString((x + dx) * MM, (self.height - baseline) * MM, text)

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: Colour, width: float) -> None:
        self._pen(colour, width)
        self.canvas.line(x1 * MM, (self.height - y1) * MM, x2 * MM, (self.height - y2) * MM)

    def rect(self, x: float, y: float, w: float, h: float, colour: Colour, width: float) -> None:
        """The outline of a ``w`` x ``h`` mm rectangle, ``width`` mm thick."""
        self._pen(colour, width)
        self.canvas.rect(x * MM, (self.height - y - h) * MM, w * MM, h * MM, stroke=1, fill=0)

    def fill(self, x: float, y: float, w: float, h: float, colour: Colour) -> None:
        self.canvas.setFillColorRGB(*(c / 255 for c in colour))
        self.canvas.rect(x * MM, (self.height - y - h) * MM, w * MM, h * MM, stroke=0, fill=1)

    def image(self, jpeg: bytes, x: float, y: float, w: float, h: float) -> None:
        """The JPEG ``jpeg`` embedded as it is, stretched to ``w`` x ``h`` mm at (``x``, ``y``)."""
        self.canvas.drawImage(_Jpeg(jpeg), x * MM, (self.height - y - h) * MM, w * MM, h * MM)

    def _pen(self, colour: Colour, width: float) -> None:
        self.canvas.setStrokeColorRGB(*(c / 255 for c in colour))
        self.canvas.setLineWidth(width * MM)

    def output(self) -> bytes:
        """The PDF; its id (reportlab's is the same for every document in invariant mode) becomes a digest
        of the file with the id left out."""
        if self.pages:
            self.canvas.showPage()  # the last page, even a blank one
        self.canvas.save()
        data = self.buffer.getvalue()
        ids = list(_ID.finditer(data))
        if not ids:
            return data
        found = ids[-1]  # the trailer's
        digest = hashlib.sha256(data[:found.start()] + data[found.end():]).hexdigest()[:32].encode()
        return data[:found.start()] + b"/ID \n[<" + digest + b"><" + digest + b">]" + data[found.end():]
