"""A ``studio lsp`` process driven over stdio by pygls's language client, from synchronous tests.

The client's event loop runs on a thread of its own; each call sends a request and waits for its
answer. Published diagnostics are kept per document, and ``diagnostics(uri, version)`` waits until
the server has published for that version of the text.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from tests.conftest import ROOT

T = TypeVar("T")

MODULES_PROBE = """
import atexit, sys
OUT = sys.argv[1]
def _write():
    with open(OUT, "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
atexit.register(_write)
sys.argv = sys.argv[:1]
from runtime.cli import main
sys.exit(main(["lsp"]))
"""


class Session:
    def __init__(self, root: Path, *, modules_file: Path | None = None, encoding: str | None = None,
                 options: dict[str, Any] | None = None) -> None:
        self.root = root
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = LanguageClient("studio-tests", "1")
        self.published: dict[str, list[lsp.PublishDiagnosticsParams]] = {}
        self.messages: list[str] = []
        self.changed = threading.Condition()
        self.stderr: list[bytes] = []
        self.versions: dict[str, int] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            with self.changed:
                self.published.setdefault(params.uri, []).append(params)
                self.changed.notify_all()

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def on_message(params: lsp.ShowMessageParams) -> None:
            self.messages.append(params.message)

        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        args = ["-c", MODULES_PROBE, str(modules_file)] if modules_file else ["-m", "runtime.cli", "lsp"]
        self.run(self.client.start_io(sys.executable, *args, cwd=str(ROOT), env=env))
        self.run(self._drain())
        general = lsp.GeneralClientCapabilities(position_encodings=[encoding]) if encoding else None
        capabilities = lsp.ClientCapabilities(general=general, text_document=lsp.TextDocumentClientCapabilities(
            hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]),
            rename=lsp.RenameClientCapabilities(prepare_support=True),
            document_symbol=lsp.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True)))
        self.init = self.run(self.client.initialize_async(lsp.InitializeParams(
            capabilities=capabilities, root_uri=root.as_uri(), initialization_options=options)))
        self.client.initialized(lsp.InitializedParams())

    async def _drain(self) -> None:
        server = self.client._server
        assert server is not None and server.stderr is not None
        stream = server.stderr

        async def read() -> None:
            while line := await stream.readline():
                self.stderr.append(line)

        asyncio.ensure_future(read())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    # --- documents ----------------------------------------------------------------------------
    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8") if text is None else text
        language = "studio" if path.name.endswith(".studio") else "yaml"
        if uri in self.versions:  # open again: close first, and forget what was published for the old text
            self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri)))
        with self.changed:
            self.published.pop(uri, None)
        self.versions[uri] = 1
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
        return uri

    def replace_all(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    def edit(self, uri: str, line: int, start: int, end: int, text: str) -> int:
        """Replace 0-based ``line``'s characters ``start``..``end`` by ``text`` (an incremental change)."""
        self.versions[uri] += 1
        where = lsp.Range(start=lsp.Position(line=line, character=start), end=lsp.Position(line=line, character=end))
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[lsp.TextDocumentContentChangePartial(range=where, text=text)]))
        return self.versions[uri]

    def diagnostics(self, uri: str, version: int | None = None, timeout: float = 60) -> list[lsp.Diagnostic]:
        """The diagnostics published for ``version`` of the document (default: its latest)."""
        version = self.versions[uri] if version is None else version
        with self.changed:
            ok = self.changed.wait_for(lambda: any(p.version == version for p in self.published.get(uri, [])),
                                       timeout)
            assert ok, f"no diagnostics for version {version} of {uri}; stderr: {b''.join(self.stderr)[-2000:]!r}"
            return list(next(p for p in reversed(self.published[uri]) if p.version == version).diagnostics)

    # --- requests -----------------------------------------------------------------------------
    @staticmethod
    def where(uri: str, line: int, character: int) -> dict[str, Any]:
        return {"text_document": lsp.TextDocumentIdentifier(uri=uri),
                "position": lsp.Position(line=line, character=character)}

    def hover(self, uri: str, line: int, character: int) -> lsp.Hover | None:
        return self.run(self.client.text_document_hover_async(lsp.HoverParams(**self.where(uri, line, character))))

    def complete(self, uri: str, line: int, character: int) -> list[lsp.CompletionItem]:
        result = self.run(self.client.text_document_completion_async(
            lsp.CompletionParams(**self.where(uri, line, character))))
        if result is None:
            return []
        return list(result.items) if isinstance(result, lsp.CompletionList) else list(result)

    def definition(self, uri: str, line: int, character: int) -> Any:
        return self.run(self.client.text_document_definition_async(
            lsp.DefinitionParams(**self.where(uri, line, character))))

    def references(self, uri: str, line: int, character: int, declaration: bool = True) -> list[lsp.Location]:
        found = self.run(self.client.text_document_references_async(lsp.ReferenceParams(
            **self.where(uri, line, character), context=lsp.ReferenceContext(include_declaration=declaration))))
        return list(found or [])

    def prepare_rename(self, uri: str, line: int, character: int) -> Any:
        return self.run(self.client.text_document_prepare_rename_async(
            lsp.PrepareRenameParams(**self.where(uri, line, character))))

    def rename(self, uri: str, line: int, character: int, new_name: str) -> lsp.WorkspaceEdit | None:
        return self.run(self.client.text_document_rename_async(
            lsp.RenameParams(**self.where(uri, line, character), new_name=new_name)))

    def symbols(self, uri: str) -> Any:
        return self.run(self.client.text_document_document_symbol_async(
            lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))))

    def folding(self, uri: str) -> list[lsp.FoldingRange]:
        found = self.run(self.client.text_document_folding_range_async(
            lsp.FoldingRangeParams(text_document=lsp.TextDocumentIdentifier(uri=uri))))
        return list(found or [])

    def formatting(self, uri: str) -> list[lsp.TextEdit] | None:
        edits = self.run(self.client.text_document_formatting_async(lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))))
        return None if edits is None else list(edits)

    def code_actions(self, uri: str, diagnostics: list[lsp.Diagnostic]) -> list[Any]:
        first = diagnostics[0].range if diagnostics else lsp.Range(start=lsp.Position(line=0, character=0),
                                                                   end=lsp.Position(line=0, character=0))
        found = self.run(self.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), range=first,
            context=lsp.CodeActionContext(diagnostics=diagnostics))))
        return list(found or [])

    def close(self) -> None:
        try:
            self.run(self.client.shutdown_async(None), timeout=30)
            self.client.exit(None)
            self.run(self.client.stop(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """``text`` with ``edits`` applied (UTF-16 columns, as the client negotiated by default)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(p: lsp.Position) -> int:
        if p.line >= len(lines):
            return len(text)
        line = lines[p.line]
        units = 0
        for i, ch in enumerate(line):
            if units >= p.character:
                return offsets[p.line] + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return offsets[p.line] + len(line)

    out = text
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        out = out[: offset(e.range.start)] + e.new_text + out[offset(e.range.end):]
    return out


def position_of(text: str, needle: str, offset: int = 0, nth: int = 0) -> tuple[int, int]:
    """0-based (line, character) of the ``nth`` ``needle`` in ``text``, plus ``offset`` characters."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    return line, at - (text.rfind("\n", 0, at) + 1)
