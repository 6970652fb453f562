"""The line every benchmark prints first: when and where its figures were measured.

bench/README.md keeps each script's output under the command that printed it; this line is what
makes a figure there checkable (a figure without its date and machine cannot be compared with a
later run). It names the date (UTC), the CPU and its core count, the load average at the start
(other processes on a shared machine slow every figure), Python, and the versions of the libraries
the script measures (imported only when the script asks for them: the compile benchmarks import
no ML library).

Importing it turns build servers off for the commands a benchmark starts (``STUDIO_SERVER=0``,
unless already set): each figure is of a process of its own, as before servers existed, and no
benchmark leaves a server running. ``render_film.py`` times an edit through one explicitly.
"""

from __future__ import annotations

import datetime
import importlib
import os
import platform
from pathlib import Path

os.environ.setdefault("STUDIO_SERVER", "0")


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def header(*libraries: str) -> str:
    """``measured 2026-12-04 16:30 UTC on <cpu>, N cores (load average a, b, c); Python x; lib v...``"""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    versions = [f"Python {platform.python_version()}"]
    for name in libraries:
        try:
            module = importlib.import_module(name)
            version = getattr(module, "__version__", None)
            if version is None:  # some packages keep it only in their metadata
                from importlib import metadata

                version = metadata.version(name)
            versions.append(f"{name} {version}")
        except ImportError:
            versions.append(f"{name} not installed")
    return (f"measured {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {cpu()}, {os.cpu_count()} cores "
            f"(load average {load} at the start); {', '.join(versions)}")
