"""``studio watch --serve`` in a subprocess, for tests of the preview."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import ROOT


class Watch:
    """``studio watch PROJECT --serve 0 [extra]``; ``url`` is the URL it printed."""

    def __init__(self, project: Path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "STUDIO_CACHE"}
        self.proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "watch", str(project), "--serve", "0",
                                      *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.err: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://"), f"no URL printed; stderr: {''.join(self.err)}"

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)

    def close(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
