"""The runtime: the ``studio`` command line, the executor, the store. See README.md.

Importing it makes an interrupt during start-up quiet: Ctrl-C before ``runtime.cli.main`` catches
it itself (while the command's modules are still being imported) ends the process without a
traceback, with the usual status of a process stopped by SIGINT. Every other uncaught exception
goes to the hook that was there before.
"""

from __future__ import annotations

import sys
from types import TracebackType

__all__: list[str] = []

_previous_hook = sys.excepthook


def _quiet_interrupt(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        return
    _previous_hook(kind, value, tb)


if sys.excepthook is sys.__excepthook__:  # leave hooks that others installed (pytest, IPython) alone
    sys.excepthook = _quiet_interrupt
