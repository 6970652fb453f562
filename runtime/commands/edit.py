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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio_lang.diagnostics import Diagnostic, render_text
from studio_lang.loader import display_name, find_project

from ..authoring.edit import Edited
from ..authoring.session import Failure

if TYPE_CHECKING:
    from backends.llm import LLM

    from ..authoring.progress import PhaseReporter

__all__ = ["EditOutcome", "StepOutcome", "apply_edit", "edit_command", "step", "undo_command"]


def _fail(exc: Failure) -> int:
    sys.stderr.write(exc.details + render_text([exc.diagnostic]))
    return exc.status


def _project(path: Path) -> Path:
    found, diagnostics = find_project(path)
    if found is None:
        raise Failure(diagnostics[0] if diagnostics else Diagnostic.error("E005", f"no project at {path}"))
    return found


def _cache_root(project: Path) -> Path:
    from ..build import cache_root_for

    return cache_root_for(project.parent, None)


def _write(path: Path, data: bytes) -> None:
    from ..store import atomic_write

    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o644
    atomic_write(path, data, mode)


def edit_command(args: argparse.Namespace) -> int:
    from ..authoring.ops import describe
    from ..authoring.progress import PhaseReporter

    reporter = PhaseReporter()
    try:
        outcome = apply_edit(args.path, args.instruction, llm_spec=args.llm, rounds=args.rounds, seed=args.seed,
                             dry_run=args.dry_run, reporter=reporter)
    except Failure as exc:
        reporter.close()
        return _fail(exc)
    except KeyboardInterrupt:
        reporter.close()
        sys.stderr.write("studio: interrupted; nothing written\n")
        return 130
    result = outcome.result
    sys.stdout.write(outcome.diff)
    if any(not d.is_error for d in result.checked.diagnostics):
        sys.stderr.write(result.checked.render())
    ops = "; ".join(describe(op) for op in result.operations)
    name = display_name(outcome.project)
    if not outcome.diff:
        sys.stderr.write(f"{name}: the operations change nothing ({ops})\n")
    elif not outcome.written:
        sys.stderr.write(f"{name}: not written (--dry-run): {ops}\n")
    else:
        layout = "" if result.kept else " (its layout could not be kept: the file was written out whole)"
        sys.stderr.write(f"edited {name}{layout}: {ops}; studio undo takes it back\n")
    return 0


@dataclass(frozen=True)
class EditOutcome:
    project: Path
    result: Edited
    diff: str
    written: bool


def apply_edit(path: Path, instruction: str, *, llm_spec: str | None = None, rounds: int = 2,
               seed: int | None = None, dry_run: bool = False, reporter: PhaseReporter | None = None,
               llm: LLM | None = None) -> EditOutcome:
    """Edit the project at ``path`` by ``instruction`` and (unless ``dry_run``) write and journal it;
    ``Failure`` when nothing can be written."""
    from backends.llm import CallContext, LLMError

    from ..authoring.edit import edit
    from ..authoring.journal import Journal, JournalError
    from ..authoring.session import choose_llm, failure, open_chosen

    project = _project(path)
    instruction = " ".join(instruction.split())
    if not instruction:
        raise Failure(Diagnostic.error("E501", "no instruction", hint='studio edit PATH "make the second shot a '
                                       'close-up"'), 2)
    model = llm if llm is not None else open_chosen(choose_llm(llm_spec, project))
    try:
        result = edit(model, project, instruction, rounds=rounds, seed=seed,
                      ctx=CallContext(progress=reporter.tokens if reporter else None),
                      on_phase=reporter.phase if reporter else None)
    except LLMError as exc:
        raise failure(exc) from None
    finally:
        if reporter is not None:
            reporter.close()
        if llm is None:
            model.close()
    diff = result.diff()
    if not diff or dry_run:
        return EditOutcome(project, result, diff, False)
    journal = Journal(_cache_root(project), project)
    data = result.text.encode("utf-8")
    try:
        with journal.locked():
            if project.read_bytes() != result.before:
                raise Failure(Diagnostic.error(
                    "E512", f"{display_name(project)} changed while the model was working; nothing written",
                    hint="run studio edit again"))
            _write(project, data)
            journal.record(result.before, data, instruction, result.operations)
    except JournalError as exc:
        raise Failure(Diagnostic.error(exc.code, str(exc), hint=exc.hint)) from None
    except OSError as exc:
        raise Failure(Diagnostic.error("E511", f"cannot write {display_name(project)}: {exc.strerror or exc}")) \
            from None
    return EditOutcome(project, result, diff, True)


@dataclass(frozen=True)
class StepOutcome:
    project: Path
    instruction: str
    diff: str


def step(path: Path, redo: bool = False) -> StepOutcome:
    """Undo (or redo) the last edit of the project at ``path``; ``Failure`` when it cannot."""
    from ..authoring.journal import Journal, JournalError

    project = _project(path)
    journal = Journal(_cache_root(project), project)
    try:
        with journal.locked():
            current = project.read_bytes()
            move = journal.redo_step(current) if redo else journal.undo_step(current)
            if not move.done:
                _write(project, move.data)
            journal.moved(1 if redo else -1)
    except JournalError as exc:
        raise Failure(Diagnostic.error(exc.code, str(exc), hint=exc.hint)) from None
    except OSError as exc:
        raise Failure(Diagnostic.error("E511", f"cannot write {display_name(project)}: {exc.strerror or exc}")) \
            from None
    name = project.name
    diff = "".join(difflib.unified_diff(current.decode("utf-8", "replace").splitlines(True),
                                        move.data.decode("utf-8", "replace").splitlines(True), f"a/{name}",
                                        f"b/{name}"))
    return StepOutcome(project, str(move.entry.get("instruction", "")), diff)


def undo_command(args: argparse.Namespace, redo: bool = False) -> int:
    try:
        outcome = step(args.path, redo)
    except Failure as exc:
        return _fail(exc)
    sys.stdout.write(outcome.diff)
    sys.stderr.write(f"{'redid' if redo else 'undid'} in {display_name(outcome.project)}: {outcome.instruction}\n")
    return 0
