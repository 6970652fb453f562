"""Save-to-updated-preview latency of ``studio watch --serve`` on the reference project (examples/luca,
1280x720).

Starts ``studio watch`` with its preview page, waits for the first build, then edits the action of
shot ``cove/peek`` (each round a new text, alternately with and without @Alberto, so every round
renders a new keyframe that differs from the one on screen) and measures, from the moment the file
is saved: the new plan on the page (``planned``), the shot's keyframe landing (``keyframe``), the
picture replaced in a real browser's page (``page``, when Debian's chromium is installed), its motion
rendered (``motion``), its clip mixed with its sound (``clip``, what the page plays) and the build's
end (``done``: the film and every deliverable).

Also the CPU time the watch spent (its threads and the encoders it ran) from the save to the clip:
on a shared machine the wall-clock figures stretch, this one does not.

Prints min / median per stage. The machine may be shared: the minimum is the figure to quote.
Usage: python bench/preview_latency.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ORIGINAL = "@Luca peeks over a rock at the water"


class Events:
    """The page's event stream, read on a thread; ``wait(predicate)`` -> when a matching message came."""

    def __init__(self, url: str) -> None:
        where = urlsplit(url)
        self.conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=600)
        self.conn.request("GET", "/events")
        self.response = self.conn.getresponse()
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while line := self.response.fp.readline():
            if line.startswith(b"data: "):
                with self.cond:
                    self.messages.append((time.time(), json.loads(line[6:])))
                    self.cond.notify_all()

    def wait(self, since: int, predicate: Any, timeout: float = 300) -> float:
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for at, message in self.messages[since:]:
                    if predicate(message):
                        return at
                if not self.cond.wait(max(deadline - time.time(), 0.01)) and time.time() > deadline:
                    raise TimeoutError("no such message")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children that ended (utime, stime, cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def idle(message: dict[str, Any]) -> bool:
    build = message["state"]["build"] if message["type"] == "snapshot" else message.get("build")
    return build is not None and build["state"] == "idle"


def task_done(tid: str) -> Any:
    def check(message: dict[str, Any]) -> bool:
        if message["type"] != "shot" or message["shot"]["id"] != "cove/peek":
            return False
        return any(t["id"] == tid and t["status"] == "executed" for t in message["shot"]["tasks"])
    return check


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header("playwright"), flush=True)
    browser = page = playwright = None
    if CHROMIUM.exists():
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "luca"
        shutil.copytree(ROOT / "examples" / "luca", project, ignore=shutil.ignore_patterns(".studio", "build"))
        env = {k: v for k, v in os.environ.items() if k != "STUDIO_CACHE"}
        env["PYTHONPATH"] = str(ROOT)
        proc = subprocess.Popen([sys.executable, "-m", "runtime.cli", "watch", str(project), "--serve", "0"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            events = Events(url)
            events.wait(0, idle)
            if browser is not None:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url)
                page.wait_for_selector("#build[data-state='idle']")
            path = project / "film.studio.yaml"
            stages: dict[str, list[float]] = {k: [] for k in ("planned", "keyframe", "page", "motion", "clip", "done")}
            cpu: list[float] = []
            for n in range(1, opts.rounds + 1):
                who = "@Luca and @Alberto peek" if n % 2 else "@Luca peeks"
                text = path.read_text()
                old_action = next(line.split('"')[1] for line in text.splitlines() if "over a rock" in line)
                new_action = f"{who} over a rock at the water, take {n}"
                if page is not None:
                    old_src = page.locator("article.card[data-id='cove/peek'] img").get_attribute("src")
                    page.evaluate("""(old) => { window.__landed = new Promise((resolve) => {
                        const img = document.querySelector("article.card[data-id='cove/peek'] img");
                        new MutationObserver(() => { if (img.getAttribute('src') !== old) resolve(Date.now()); })
                            .observe(img, {attributes: true, attributeFilter: ['src']}); }); }""", old_src)
                since = len(events.messages)
                cpu_before = cpu_seconds(proc.pid)
                path.write_text(text.replace(old_action, new_action))
                saved = time.time()
                stages["planned"].append(events.wait(since, lambda m: m["type"] == "snapshot") - saved)
                stages["keyframe"].append(events.wait(since, task_done("keyframe:cove/peek")) - saved)
                stages["motion"].append(events.wait(since, task_done("motion:cove/peek")) - saved)
                stages["clip"].append(events.wait(since, task_done("shot:cove/peek")) - saved)
                cpu.append(cpu_seconds(proc.pid) - cpu_before)
                if page is not None:
                    stages["page"].append(page.evaluate("window.__landed") / 1000 - saved)
                stages["done"].append(events.wait(since, idle) - saved)
            print(f"{'stage':<10} {'min s':>6} {'median s':>9}   (examples/luca, {opts.rounds} action edits)")
            for stage, values in stages.items():
                if values:
                    print(f"{stage:<10} {min(values):>6.2f} {statistics.median(values):>9.2f}")
            print(f"{'CPU s to clip':<10} {min(cpu):>3.2f} {statistics.median(cpu):>9.2f}   (watch and its encoders)")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            if browser is not None:
                browser.close()
            if playwright is not None:
                playwright.stop()


if __name__ == "__main__":
    main()
