"""The language server: pygls on stdio, one server for ``.studio.yaml`` and ``.studio`` files.

Every change schedules a compile of the buffer on one worker thread after a short debounce; a
compile that a newer change overtakes is abandoned at its next stage (parse, validate, resolve) and
its result never published, so diagnostics always match the text they were made from. Requests
that point into the text (hover, definition, references, rename, symbols, folding, code actions)
wait for the compile of the current version; completion reads the current text at once and takes
names from the last version that parsed. The server reads the store and never builds or imports a
backend (hover's cache status is a record lookup), so it never waits on a build.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from studio_lang.diagnostics import Diagnostic, Severity, Span
from studio_lang.source import SourceFile

from .analysis import Analysis, Settings, Superseded, analyse
from .complete import complete
from .context import yaml_context
from .convert import Lines, utf16_units
from .dsl_context import dsl_context
from .edits import FormatRefused, fix, formatted
from .hover import hover_shot, hover_symbol
from .navigate import RenameRefused, definition, references, rename_edits
from .outline import folding, symbols

__all__ = ["DEBOUNCE_SECONDS", "is_project", "make_server", "serve"]

DEBOUNCE_SECONDS = 0.025
"""Quiet time after a change before compiling: long enough to merge the changes of one keystroke or
paste, short enough to keep a keystroke's diagnostics within 100 ms on a 200-shot file."""

_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
             Severity.NOTE: lsp.DiagnosticSeverity.Information}
_UNITS: dict[str, Callable[[str], int]] = {
    lsp.PositionEncodingKind.Utf32.value: len, lsp.PositionEncodingKind.Utf8.value: lambda s: len(s.encode("utf-8")),
    lsp.PositionEncodingKind.Utf16.value: utf16_units}

IDLE_SECONDS = 0.3
"""Quiet time after diagnostics before the server builds the index of names (hover, completion and the
like build it themselves if they come first) and collects garbage. The cycle collector is off
otherwise: a compile of a long film allocates a million objects, and a collection that walks them
between a keystroke and its diagnostics would cost more than the compile's validation."""

log = logging.getLogger(__name__)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("studio")
    except metadata.PackageNotFoundError:
        return "0"


def is_project(uri: str) -> bool:
    """Whether a document is a project file (the server answers nothing about other YAML files, so that
    an editor may attach it to every YAML file)."""
    from studio_lang.loader import PROJECT_SUFFIXES

    return uri.split("?", 1)[0].endswith(PROJECT_SUFFIXES)


def _path(uri: str) -> Path | None:
    path = to_fs_path(uri)
    return Path(path) if path else None


class StudioServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("studio", _version(), text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        gc.disable()  # collected when typing pauses (see IDLE_SECONDS)
        self.settings = Settings()
        self.latest: dict[str, Analysis] = {}
        """The newest compiled version of each document."""
        self.parsed: dict[str, Analysis] = {}
        """The newest version that parsed (its names serve completion while the text does not)."""
        self.planned: dict[str, Analysis] = {}
        """The newest version without errors (its film serves a shot's hover while the text has errors)."""
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.compiled = asyncio.Condition()
        """Notified whenever a compile ends (published, overtaken or failed)."""
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="studio-lsp-compile")

    # --- compiling ---------------------------------------------------------------------------
    def doc_version(self, uri: str) -> int | None:
        return self.workspace.get_text_document(uri).version

    def schedule(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.pending[uri] = asyncio.ensure_future(self._compile(uri))

    async def _compile(self, uri: str) -> None:
        analysis = None
        try:
            analysis = await self._compile_once(uri)
        finally:
            async with self.compiled:
                self.compiled.notify_all()
        if analysis is not None:  # a pause in typing: build the index, collect garbage
            await asyncio.sleep(IDLE_SECONDS)
            await asyncio.get_running_loop().run_in_executor(self.pool, self._idle, analysis)

    @staticmethod
    def _idle(analysis: Analysis) -> None:
        analysis.index  # noqa: B018 - built now, before a request needs it
        gc.collect()

    async def _compile_once(self, uri: str) -> Analysis | None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        doc = self.workspace.get_text_document(uri)
        version, text = doc.version, doc.source
        if not is_project(uri):
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[],
                                                                                version=version))
            return None

        def checkpoint() -> None:
            if self.doc_version(uri) != version:
                raise Superseded()

        loop = asyncio.get_running_loop()
        try:
            analysis = await loop.run_in_executor(self.pool, analyse, uri, text, version, _path(uri), self.settings,
                                                  checkpoint)
        except Superseded:
            return None
        except Exception:  # a compiler bug must not take the editor's server down
            log.exception("compiling %s failed", uri)
            return None
        if self.doc_version(uri) != version:
            return None
        self.latest[uri] = analysis
        if analysis.parsed:
            self.parsed[uri] = analysis
        if analysis.compilation.film is not None:
            self.planned[uri] = analysis
        self.publish(analysis)
        return analysis

    def publish(self, analysis: Analysis) -> None:
        lines = self.lines(analysis.source)
        out = [self.diagnostic(d, lines, analysis.uri) for d in analysis.compilation.diagnostics]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=analysis.uri, diagnostics=out,
                                                                            version=analysis.version))

    def diagnostic(self, d: Diagnostic, lines: Lines, uri: str) -> lsp.Diagnostic:
        related = [lsp.DiagnosticRelatedInformation(location=lsp.Location(uri=uri, range=lines.range(r.span)),
                                                    message=r.message) for r in d.related]
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        return lsp.Diagnostic(range=lines.range(d.span), message=message, severity=_SEVERITY[d.severity],
                              code=d.code, source="studio", related_information=related or None,
                              data={"hint": d.hint} if d.hint else None)

    def lines(self, source: SourceFile) -> Lines:
        return Lines(source, self.units())

    def units(self) -> Callable[[str], int]:
        """How the client counts columns (the position encoding it negotiated)."""
        return _UNITS.get(str(self.workspace.position_encoding or "utf-16"), utf16_units)

    async def current(self, uri: str) -> Analysis | None:
        """The analysis of the document's current version (waiting for its compile)."""
        if not is_project(uri):
            return None
        for _ in range(100):
            found = self.latest.get(uri)
            if found is not None and found.version == self.doc_version(uri):
                return found
            task = self.pending.get(uri)
            if task is None or task.done():  # nothing on its way (none scheduled, or it failed): compile now
                self.schedule(uri)
                task = self.pending[uri]
            async with self.compiled:
                await self.compiled.wait_for(partial(self._arrived, uri, task))
        return self.latest.get(uri)

    async def outlined(self, uri: str) -> Analysis | None:
        """An analysis with a name index for the outline and folding: the current version's, else the
        last one that parsed (a document with syntax errors keeps its outline)."""
        analysis = await self.current(uri)
        found = self.parsed.get(uri) if analysis is None or analysis.index is None else analysis
        return found if found is not None and found.index is not None else None

    def _arrived(self, uri: str, task: asyncio.Task[None]) -> bool:
        """Whether the current version is compiled, or the compile on its way ended without it."""
        found = self.latest.get(uri)
        return task.done() or (found is not None and found.version == self.doc_version(uri))

    def position(self, analysis: Analysis, position: lsp.Position) -> tuple[int, int]:
        return self.lines(analysis.source).column(position)


def make_server() -> StudioServer:
    server = StudioServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: StudioServer, params: lsp.InitializeParams) -> None:
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        root = _path(params.root_uri) if params.root_uri else None
        base = root or Path.cwd()
        allow = tuple((base / p).resolve() for p in options.get("allowPaths", []) if isinstance(p, str))
        cache = options.get("cache")
        ls.settings = Settings(allow, (base / cache).resolve() if isinstance(cache, str) else None)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: StudioServer, params: lsp.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        for kept in (ls.latest, ls.parsed, ls.planned):  # opened again without a close: its versions restart
            kept.pop(uri, None)
        ls.schedule(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: StudioServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: StudioServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)  # referenced files may have appeared meanwhile

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: StudioServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        for kept in (ls.latest, ls.parsed, ls.planned):
            kept.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["@", "=", "/", "("]))
    def completion(ls: StudioServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        if not is_project(uri):
            return lsp.CompletionList(is_incomplete=False, items=[])
        doc = ls.workspace.get_text_document(uri)
        text = doc.source.replace("\r\n", "\n")
        lines = text.split("\n")
        pos = doc.position_codec.position_from_client_units(doc.lines, params.position)
        reader = dsl_context if uri.endswith(".studio") else yaml_context
        context = reader(lines, pos.line, pos.character)
        if context is None:
            return lsp.CompletionList(is_incomplete=False, items=[])
        current = Lines(SourceFile(uri, text), ls.units())
        replace = lsp.Range(start=current.position(pos.line + 1, context.column), end=params.position)
        known = ls.parsed.get(uri)
        path = _path(uri)
        items = complete(context, known.index if known else None, path.parent if path else None, replace)
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: StudioServer, params: lsp.HoverParams) -> lsp.Hover | None:
        analysis = await ls.current(params.text_document.uri)
        if analysis is None or analysis.index is None:
            return None
        line, column = ls.position(analysis, params.position)
        lines = ls.lines(analysis.source)
        occ = analysis.index.at(line, column)
        if occ is not None and occ.symbol.kind != "shot":
            text = hover_symbol(analysis, analysis.index, occ.symbol)
            span = occ.span
        else:
            shot = analysis.index.shot_at(line, column)
            if shot is None:
                return None
            planned = ls.planned.get(analysis.uri, analysis)
            text = await asyncio.get_running_loop().run_in_executor(ls.pool, hover_shot, planned, shot)
            if planned is not analysis:
                text += "\n\n*(as of the last version without errors)*"
            span = None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                         range=lines.range(span) if span is not None else None)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def goto_definition(ls: StudioServer, params: lsp.DefinitionParams) -> lsp.Location | None:
        analysis = await ls.current(params.text_document.uri)
        if analysis is None or analysis.index is None:
            return None
        occ = analysis.index.at(*ls.position(analysis, params.position))
        span = definition(analysis.index, occ) if occ is not None else None
        if span is None:
            return None
        return lsp.Location(uri=analysis.uri, range=ls.lines(analysis.source).range(span))

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    async def find_references(ls: StudioServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        analysis = await ls.current(params.text_document.uri)
        if analysis is None or analysis.index is None:
            return []
        occ = analysis.index.at(*ls.position(analysis, params.position))
        if occ is None:
            return []
        lines = ls.lines(analysis.source)
        return [lsp.Location(uri=analysis.uri, range=lines.range(span))
                for span in references(analysis.index, occ.symbol, params.context.include_declaration)]

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(ls: StudioServer, params: lsp.PrepareRenameParams) -> Any:
        analysis = await ls.current(params.text_document.uri)
        if analysis is None or analysis.index is None:
            return None
        occ = analysis.index.at(*ls.position(analysis, params.position))
        if occ is None:
            return None
        try:
            rename_edits(analysis.index, occ.symbol, occ.symbol.name + "_")  # refuses what cannot be renamed
        except RenameRefused as refused:
            if "already exists" not in str(refused) and "belongs to" not in str(refused):
                raise JsonRpcInvalidRequest(str(refused)) from None
        return lsp.PrepareRenamePlaceholder(range=ls.lines(analysis.source).range(occ.span),
                                            placeholder=occ.symbol.name)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
    async def rename(ls: StudioServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        analysis = await ls.current(params.text_document.uri)
        if analysis is None or analysis.index is None:
            return None
        occ = analysis.index.at(*ls.position(analysis, params.position))
        if occ is None:
            return None
        try:
            edits = rename_edits(analysis.index, occ.symbol, params.new_name)
        except RenameRefused as refused:
            raise JsonRpcInvalidRequest(str(refused)) from None
        lines = ls.lines(analysis.source)
        return lsp.WorkspaceEdit(changes={analysis.uri: [lsp.TextEdit(range=lines.range(span), new_text=text)
                                                         for span, text in edits]})

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbols(ls: StudioServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        found = await ls.outlined(params.text_document.uri)
        return [] if found is None or found.index is None else symbols(found.index, ls.lines(found.source))

    @server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
    async def folding_ranges(ls: StudioServer, params: lsp.FoldingRangeParams) -> list[lsp.FoldingRange]:
        found = await ls.outlined(params.text_document.uri)
        return [] if found is None or found.index is None else folding(found.index, ls.lines(found.source))

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: StudioServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        uri = params.text_document.uri
        if not is_project(uri):
            return None
        doc = ls.workspace.get_text_document(uri)
        path = _path(uri)
        source = SourceFile(path.name if path else uri, doc.source.replace("\r\n", "\n"), path)
        try:
            text = formatted(source)
        except FormatRefused as refused:
            ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=str(refused)))
            return None
        if text == doc.source:
            return []
        end = lsp.Position(line=len(doc.lines), character=0)
        return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=text)]

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    async def code_actions(ls: StudioServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        analysis = await ls.current(params.text_document.uri)
        if analysis is None:
            return []
        lines = ls.lines(analysis.source)
        out = []
        for d in params.context.diagnostics:
            hint = d.data.get("hint") if isinstance(d.data, dict) else None
            if hint is None and "\nhint: " in d.message:
                hint = d.message.split("\nhint: ", 1)[1]
            start, end = lines.column(d.range.start), lines.column(d.range.end)
            span = Span(analysis.source.name, start[0], start[1], end[0], end[1])
            found = fix(analysis.source, span, d.message, hint)
            if found is None:
                continue
            where, text = found
            edit = lsp.WorkspaceEdit(changes={analysis.uri: [lsp.TextEdit(range=lines.range(where), new_text=text)]})
            out.append(lsp.CodeAction(title=f"Change to '{text}'", kind=lsp.CodeActionKind.QuickFix, diagnostics=[d],
                                      edit=edit, is_preferred=True))
        return out

    return server


def serve() -> int:
    """Run the language server on stdin/stdout until the client exits."""
    make_server().start_io()
    return 0
