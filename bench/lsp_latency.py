"""Keystroke-to-diagnostics latency of ``studio lsp`` on synthetic projects (200 and 2,000 shots).

Starts the language server on stdio (as an editor does), opens a project of N shots in YAML and in
the DSL, then types: each keystroke is an incremental change of one character in a shot's action
text (alternately a misspelt ``@trigger``, which is an error, and its fix), sent after the previous
keystroke's diagnostics arrived. Latency: from sending the change to receiving the diagnostics the
server published for that version of the text (the server's debounce included). Also a burst: ten
keystrokes 60 ms apart, then the time from the last one to its diagnostics. And the CPU time the
server process spent per keystroke (all its threads, from /proc: what a core of its own would take,
whatever else the machine runs).

Prints min / median / max per size and syntax. The machine may be shared: the minimum is the
figure to quote. Usage: python bench/lsp_latency.py [--sizes 200 2000] [--keys 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic import project_text  # noqa: E402


class Client:
    def __init__(self) -> None:
        self.client = LanguageClient("bench", "1")
        self.arrived: dict[int, float] = {}
        self.errors: dict[int, int] = {}
        self.event = asyncio.Event()

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: lsp.PublishDiagnosticsParams) -> None:
            if params.version is not None:
                self.arrived[params.version] = time.perf_counter()
                self.errors[params.version] = len(params.diagnostics)
                self.event.set()

    async def start(self, root: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        await self.client.start_io(sys.executable, "-m", "runtime.cli", "lsp", cwd=str(ROOT), env=env)
        server = self.client._server
        assert server is not None and server.stderr is not None

        async def drain(stream: asyncio.StreamReader) -> None:
            while await stream.readline():
                pass

        asyncio.ensure_future(drain(server.stderr))
        await self.client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities(),
                                                                root_uri=root.as_uri()))
        self.client.initialized(lsp.InitializedParams())

    def cpu(self) -> float:
        """Seconds of CPU the server process has used, all threads (Linux)."""
        server = self.client._server
        assert server is not None
        total = 0
        for task in Path(f"/proc/{server.pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError):
                pass  # a thread that ended meanwhile
        return total / 1e9

    async def wait(self, version: int, timeout: float = 120) -> float:
        deadline = time.perf_counter() + timeout
        while version not in self.arrived:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), max(deadline - time.perf_counter(), 0.01))
        return self.arrived[version]

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def keystrokes(text: str, count: int) -> list[tuple[int, int, int, str]]:
    """(line, start, end, new text): alternately '@Ana' -> '@Anb' (an unknown trigger) and back."""
    lines = text.split("\n")
    action_lines = [i for i, line in enumerate(lines) if "@Ana looks" in line or line.startswith("@Ana looks")]
    out = []
    for k in range(count):
        line = action_lines[(k // 2 * 7919) % len(action_lines)]
        col = lines[line].index("@Ana") + 3
        out.append((line, col, col + 1, "b" if k % 2 == 0 else "a"))
    return out


async def measure(shots: int, syntax: str, keys: int) -> tuple[list[float], float, list[float]]:
    text = project_text(shots)
    if syntax == "studio":
        from studio_lang.dsl.emit import emit_dsl
        from studio_lang.loader import parse
        from studio_lang.source import SourceFile

        tree, _ = parse(SourceFile("film.studio.yaml", text))
        assert tree.root is not None
        text = emit_dsl(tree.root, None, [])
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / ("film.studio" if syntax == "studio" else "film.studio.yaml")
        path.write_text(text, encoding="utf-8")
        client = Client()
        await client.start(root)
        uri = path.as_uri()
        client.client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
            uri=uri, language_id="studio" if syntax == "studio" else "yaml", version=1, text=text)))
        await client.wait(1)
        assert client.errors[1] == 0, f"the synthetic project has {client.errors[1]} diagnostics"
        version = 1
        latencies = []
        cpu = []

        def send(line: int, start: int, end: int, new: str) -> int:
            nonlocal version
            version += 1
            where = lsp.Range(start=lsp.Position(line=line, character=start),
                              end=lsp.Position(line=line, character=end))
            client.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangePartial(range=where, text=new)]))
            return version

        for line, start, end, new in keystrokes(text, keys):
            before = client.cpu()
            sent = time.perf_counter()
            v = send(line, start, end, new)
            latencies.append(await client.wait(v) - sent)
            cpu.append(client.cpu() - before)
            assert client.errors[v] == (1 if new == "b" else 0), client.errors[v]
            await asyncio.sleep(0.1)
        burst = keystrokes(text, 10)
        for line, start, end, new in burst:
            sent = time.perf_counter()
            v = send(line, start, end, new)
            await asyncio.sleep(0.06)
        burst_latency = await client.wait(v) - sent
        await client.stop()
        return latencies, burst_latency, cpu


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--keys", type=int, default=20)
    parser.add_argument("--syntax", nargs="+", default=["yaml", "studio"])
    opts = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.machine import header

    print(header("pygls"), flush=True)
    print(f"{'shots':>6} {'syntax':>7} {'min ms':>7} {'median':>7} {'max':>7} {'burst ms':>9} {'CPU ms min':>11} "
          f"{'median':>7}")
    for shots in opts.sizes:
        for syntax in opts.syntax:
            latencies, burst, cpu = await measure(shots, syntax, opts.keys)
            ms = [x * 1000 for x in latencies]
            cpu_ms = [x * 1000 for x in cpu]
            print(f"{shots:>6} {syntax:>7} {min(ms):>7.0f} {statistics.median(ms):>7.0f} {max(ms):>7.0f} "
                  f"{burst * 1000:>9.0f} {min(cpu_ms):>11.0f} {statistics.median(cpu_ms):>7.0f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
