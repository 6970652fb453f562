"""``studio edit PATH "INSTRUCTION"``, ``studio undo PATH``, ``studio redo PATH``.

``edit`` prints the unified diff of what the model's operations change (``--dry-run`` stops there),
then writes the file atomically, unless it changed while the model was working, and records the
exact bytes before and after in the journal under the store (``runtime.authoring.journal``).
``undo`` and ``redo`` move through the journal and refuse to overwrite a change made since.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from studio_lang.diagnostics import Diagnostic, render_text
from studio_lang.loader import display_name, find_project

from ..authoring.session import Failure

__all__ = ["edit_command", "undo_command"]


def _fail(exc: Failure) -> int:
    sys.stderr.write(exc.details + render_text([exc.diagnostic]))
    return exc.status


def _project(path: Path) -> Path:
    found, diagnostics = find_project(path)
    if found is None:
        raise Failure(diagnostics[0] if diagnostics else Diagnostic.error("E005", f"no project at {path}"))
    return found


def _journal(project: Path) -> object:
    from ..authoring.journal import Journal
    from ..build import cache_root_for

    return Journal(cache_root_for(project.parent, None), project)


def _write(path: Path, data: bytes) -> None:
    from ..store import atomic_write

    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o644
    atomic_write(path, data, mode)


def edit_command(args: argparse.Namespace) -> int:
    try:
        return _edit(args)
    except Failure as exc:
        return _fail(exc)


def _edit(args: argparse.Namespace) -> int:
    from backends.llm import CallContext, LLMError

    from ..authoring.edit import edit
    from ..authoring.journal import Journal, JournalError
    from ..authoring.ops import describe
    from ..authoring.progress import PhaseReporter
    from ..authoring.session import choose_llm, failure, open_chosen

    project = _project(args.path)
    instruction = " ".join(args.instruction.split())
    if not instruction:
        raise Failure(Diagnostic.error("E501", "no instruction", hint='studio edit PATH "make the second shot a '
                                       'close-up"'), 2)
    llm = open_chosen(choose_llm(args.llm, project))
    reporter = PhaseReporter()
    try:
        result = edit(llm, project, instruction, rounds=args.rounds, ctx=CallContext(progress=reporter.tokens),
                      on_phase=reporter.phase, seed=args.seed)
    except LLMError as exc:
        raise failure(exc) from None
    except KeyboardInterrupt:
        reporter.close()
        sys.stderr.write("studio: interrupted; nothing written\n")
        return 130
    finally:
        reporter.close()
        llm.close()
    diff = result.diff()
    sys.stdout.write(diff)
    warnings = [d for d in result.checked.diagnostics if not d.is_error]
    if warnings:
        sys.stderr.write(result.checked.render())
    ops = "; ".join(describe(op) for op in result.operations)
    if not diff:
        sys.stderr.write(f"{display_name(project)}: the operations change nothing ({ops})\n")
        return 0
    if args.dry_run:
        sys.stderr.write(f"{display_name(project)}: not written (--dry-run): {ops}\n")
        return 0
    journal = _journal(project)
    assert isinstance(journal, Journal)
    try:
        with journal.locked():
            if project.read_bytes() != result.before:
                raise Failure(Diagnostic.error(
                    "E512", f"{display_name(project)} changed while the model was working; nothing written",
                    hint="run studio edit again"))
            _write(project, result.text.encode("utf-8"))
            journal.record(result.before, result.text.encode("utf-8"), instruction, result.operations)
    except JournalError as exc:
        raise Failure(Diagnostic.error(exc.code, str(exc), hint=exc.hint)) from None
    except OSError as exc:
        raise Failure(Diagnostic.error("E511", f"cannot write {display_name(project)}: {exc.strerror or exc}")) \
            from None
    layout = "" if result.kept else " (its layout could not be kept: the file was written out whole)"
    sys.stderr.write(f"edited {display_name(project)}{layout}: {ops}; studio undo takes it back\n")
    return 0


def undo_command(args: argparse.Namespace, redo: bool = False) -> int:
    from ..authoring.journal import Journal, JournalError

    try:
        project = _project(args.path)
        journal = _journal(project)
        assert isinstance(journal, Journal)
        with journal.locked():
            current = project.read_bytes()
            step = journal.redo_step(current) if redo else journal.undo_step(current)
            if not step.done:
                _write(project, step.data)
            journal.moved(1 if redo else -1)
    except Failure as exc:
        return _fail(exc)
    except JournalError as exc:
        return _fail(Failure(Diagnostic.error(exc.code, str(exc), hint=exc.hint)))
    except OSError as exc:
        return _fail(Failure(Diagnostic.error("E511", f"cannot write {args.path}: {exc.strerror or exc}")))
    name = project.name
    diff = difflib.unified_diff(current.decode("utf-8", "replace").splitlines(True),
                                step.data.decode("utf-8", "replace").splitlines(True), f"a/{name}", f"b/{name}")
    sys.stdout.write("".join(diff))
    sys.stderr.write(f"{'redid' if redo else 'undid'} in {display_name(project)}: {step.entry.get('instruction')}\n")
    return 0
