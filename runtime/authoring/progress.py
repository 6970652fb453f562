"""Progress of a draft or an edit on stderr: the phase, its tokens and tokens per second.

On a terminal one line is rewritten in place; elsewhere (a log, a pipe) one line per finished call.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["PhaseReporter"]


class PhaseReporter:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.quiet = quiet
        self.current: str | None = None
        self.last: tuple[int, float] = (0, 0.0)
        self.started = time.perf_counter()

    def phase(self, name: str) -> None:
        self._finish()
        self.current = name
        self.last = (0, 0.0)

    def tokens(self, name: str, count: int, seconds: float) -> None:
        self.current = name
        self.last = (count, seconds)
        if self.tty and not self.quiet:
            self.stream.write(f"\r\x1b[K{self._line()}")
            self.stream.flush()

    def _line(self) -> str:
        count, seconds = self.last
        rate = f", {count / seconds:.0f} tok/s" if seconds > 0 else ""
        return f"{self.current}: {count} tokens in {seconds:.1f} s{rate}"

    def _finish(self) -> None:
        if self.current is not None and self.last[0] and not self.quiet:
            self.stream.write(("\r\x1b[K" if self.tty else "") + self._line() + "\n")
            self.stream.flush()
        self.current = None
        self.last = (0, 0.0)

    def close(self) -> None:
        self._finish()
