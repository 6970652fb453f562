"""``studio new "PROMPT" -o DIR``: draft a project with a language model (``runtime.authoring.draft``).

Writes ``DIR/film.studio.yaml`` (or ``film.studio``) only when the draft has no errors after the
repair rounds (``--keep-invalid`` writes it anyway, and still exits 1); never into a directory that
already holds a project file. A YAML draft starts with the ``$schema`` modeline: relative to this
checkout's schema when DIR lies in it, else to ``project.schema.json`` written beside the draft.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio_lang.diagnostics import Diagnostic, render_text
from studio_lang.loader import display_name, is_project_file

from ..authoring.draft import Draft
from ..authoring.session import Failure

if TYPE_CHECKING:
    from backends.llm import LLM

    from ..authoring.progress import PhaseReporter

__all__ = ["Created", "create", "new_command"]

MIN_SECONDS, MAX_SECONDS = 3.0, 1800.0
SCHEMA_FILE = "project.schema.json"


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def _fail(diagnostic: Diagnostic, status: int = 1) -> int:
    sys.stderr.write(render_text([diagnostic]))
    return status


def _target(out: Path, syntax: str) -> Path:
    if out.exists() and not out.is_dir():
        raise Failure(Diagnostic.error("E507", f"'{display_name(out)}' exists and is not a directory",
                                       hint="name a new or empty directory with -o"), 2)
    if out.is_dir():
        taken = sorted(p.name for p in out.iterdir() if p.is_file() and is_project_file(p))
        if taken:
            raise Failure(Diagnostic.error("E507", f"'{display_name(out)}' already holds a project ({taken[0]}); "
                                           "nothing is overwritten", hint="choose another directory with -o"))
    return out / ("film.studio" if syntax == "studio" else "film.studio.yaml")


def _treatment(path: Path | None) -> object | None:
    if path is None:
        return None
    from ..authoring.treatment import MAX_BYTES, read_treatment

    try:
        data = path.read_bytes()
        if len(data) > MAX_BYTES:
            raise Failure(Diagnostic.error("E508", f"'{display_name(path)}' is too large for a treatment "
                                           f"({len(data)} bytes; at most {MAX_BYTES // 1024} KiB)"))
        text = data.decode("utf-8-sig")
    except OSError as exc:
        raise Failure(Diagnostic.error("E508", f"cannot read '{display_name(path)}': {exc.strerror or exc}")) \
            from None
    except UnicodeDecodeError:
        raise Failure(Diagnostic.error("E508", f"'{display_name(path)}' is not UTF-8 text",
                                       hint="save the treatment as UTF-8")) from None
    if not text.strip():
        raise Failure(Diagnostic.error("E508", f"'{display_name(path)}' is empty"))
    return read_treatment(text)


def _header(target: Path, syntax: str) -> tuple[list[str], bool]:
    """The modeline, and whether the schema file must be written beside the draft."""
    if syntax == "studio":
        return [], False
    from .rewrite import schema_comment

    inside = schema_comment(target)
    line = "yaml-language-server: $schema="
    return ([line + inside], False) if inside else ([line + SCHEMA_FILE], True)


def new_command(args: argparse.Namespace) -> int:
    from ..authoring.progress import PhaseReporter

    prompt = (args.prompt or "").strip()
    reporter = PhaseReporter()
    try:
        made = create(prompt, args.out, llm_spec=args.llm, syntax=args.syntax, seconds=float(args.length),
                      seed=args.seed, source=args.source, rounds=args.rounds, keep_invalid=args.keep_invalid,
                      reporter=reporter)
    except Failure as exc:
        reporter.close()
        sys.stderr.write(exc.details)
        return _fail(exc.diagnostic, exc.status)
    except KeyboardInterrupt:
        reporter.close()
        _say("studio: interrupted; nothing written")
        return 130
    sys.stderr.write(made.draft.checked.render())
    _say(_summary(made.path, made.draft))
    return 0 if made.draft.ok else 1


@dataclass(frozen=True)
class Created:
    path: Path
    draft: Draft


def create(prompt: str, out: Path, *, llm_spec: str | None = None, syntax: str = "yaml", seconds: float = 30.0,
           seed: int | None = None, source: Path | None = None, rounds: int = 2, keep_invalid: bool = False,
           reporter: PhaseReporter | None = None, llm: LLM | None = None) -> Created:
    """Draft a project into ``out`` and write it (``Failure`` when nothing is written). ``llm``: a model
    already open (the MCP server keeps one), else ``llm_spec`` or ``$STUDIO_LLM`` names it."""
    from backends.llm import CallContext, LLMError

    from ..authoring.draft import DraftOptions, draft
    from ..authoring.session import choose_llm, failure, open_chosen

    if not prompt and source is None:
        raise Failure(Diagnostic.error("E501", "nothing to write about", hint="give a PROMPT, or --from FILE"), 2)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise Failure(Diagnostic.error("E503", f"--length {seconds:g} is out of range",
                                       hint=f"from {MIN_SECONDS:g} to {MAX_SECONDS:g} seconds"), 2)
    target = _target(out, syntax)
    treatment = _treatment(source)
    model = llm if llm is not None else open_chosen(choose_llm(llm_spec))
    header, write_schema = _header(target, syntax)
    options = DraftOptions(prompt, seconds, seed, syntax, rounds, treatment,  # type: ignore[arg-type]
                           header=tuple(header))
    ctx = CallContext(progress=reporter.tokens if reporter else None)
    try:
        result = draft(model, options, target.resolve(), ctx, reporter.phase if reporter else None)
    except LLMError as exc:
        raise failure(exc) from None
    finally:
        if reporter is not None:
            reporter.close()
        if llm is None:
            model.close()
    if not result.ok and not keep_invalid:
        raise Failure(Diagnostic.error(
            "E506", f"the draft still has errors after {result.rounds} repair round{'s' * (result.rounds != 1)}; "
            "nothing written", hint="try again with another --seed, a larger model, or --keep-invalid to keep "
            "the draft and fix it by hand"), details=result.checked.render())
    _write(target, result.text, write_schema)
    return Created(target, result)


def _write(target: Path, text: str, write_schema: bool) -> None:
    from ..store import atomic_write
    from .render import schema_text

    target.parent.mkdir(parents=True, exist_ok=True)
    if write_schema and not (target.parent / SCHEMA_FILE).exists():
        atomic_write(target.parent / SCHEMA_FILE, schema_text().encode("utf-8"))
    atomic_write(target, text.encode("utf-8"))


def _summary(target: Path, result: Draft) -> str:
    from studio_lang import ast

    from ..authoring.assemble import film_seconds

    root = result.checked.root
    data = ast.to_data(root) if root is not None else {}
    assert isinstance(data, dict)
    scenes = data.get("scenes") or []
    shots = sum(len(s.get("shots") or []) for s in scenes)
    characters = sum(1 for e in (data.get("elements") or {}).values() if e.get("kind") == "character")
    try:
        length = f", about {film_seconds(data):.0f} s"
    except (KeyError, TypeError, ValueError):
        length = ""
    stats = result.stats
    rate = f", {stats.tokens / stats.seconds:.0f} tok/s" if stats.seconds else ""
    state = "" if result.ok else " (with errors, --keep-invalid)"
    return (f"wrote {display_name(target)}{state}: {len(scenes)} scene{'s' * (len(scenes) != 1)}, {shots} shot"
            f"{'s' * (shots != 1)}, {characters} character{'s' * (characters != 1)}{length} "
            f"({stats.tokens} tokens in {result.seconds:.1f} s{rate}; {result.rounds} repair round"
            f"{'s' * (result.rounds != 1)})")
