"""A hang detector for tests of code that must never block (FIFOs, unbounded loops)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def watchdog(seconds: int = 60) -> Iterator[None]:
    """Fail with 'hung' instead of blocking the suite. It is no timing assertion: the code under test
    ends in well under a second by construction; the alarm only stops a regression from hanging CI."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(signum: int, frame: object) -> None:
        raise AssertionError(f"still running after {seconds} s: hung")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
