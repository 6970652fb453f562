"""``studio edit``: a model answers an instruction with edit operations (``ops``), which are
applied to the document and spliced into the original text (``splice``); the result must check
without errors (and without warnings the file did not have), else the problems go back to the model
for at most ``rounds`` repair rounds, and then the edit is refused.

Nothing is written here: the caller shows the diff, checks that the file did not change meanwhile,
writes it atomically and records it in the journal.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backends.llm import LLM, CallContext, Message, Request
from studio_lang import ast
from studio_lang.diagnostics import Diagnostic, has_errors, render_text
from studio_lang.loader import is_dsl, parse, read_source

from .ask import Stats, ask_json
from .checking import Checked, check_text, problem_lines
from .ops import OpError, apply_operations, operations_schema
from .session import Failure
from .splice import splice

__all__ = ["Edited", "SYSTEM", "edit", "outline"]

SYSTEM = ("You edit a film project of studio, a build system for films, by answering with edit operations: one "
          "JSON object {\"operations\": [...]}, nothing else. Change only what the instruction asks for.")
_MAX_OUTLINE = 24_000


@dataclass
class Edited:
    path: Path
    before: bytes
    text: str
    operations: list[dict[str, Any]]
    checked: Checked
    kept: bool
    """Only the edited parts of the text changed (False: the file was written out whole)."""
    rounds: int
    stats: Stats = field(default_factory=Stats)

    @property
    def ok(self) -> bool:
        return self.checked.ok

    def diff(self) -> str:
        name = self.path.name
        old = self.before.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return "".join(difflib.unified_diff(old.splitlines(True), self.text.splitlines(True), f"a/{name}",
                                            f"b/{name}"))


def outline(data: dict[str, Any]) -> str:
    """The project in a few lines per shot: what a model needs to know to edit it by ids."""
    p = data.get("project") or {}
    out = [f"Project \"{p.get('title', '')}\"" + (f": {p['description']}" if p.get("description") else "")]
    for name, e in (data.get("elements") or {}).items():
        extra = f", voice {e['voice']}" if e.get("voice") else ""
        out.append(f"element {name} ({e.get('kind')}{extra}): {e.get('description', '')}")
    for name, v in (data.get("voices") or {}).items():
        out.append(f"voice {name}: pitch {v.get('pitch', 50)}, rate {v.get('rate', 175)}")
    for name in data.get("styles") or {}:
        out.append(f"style {name}")
    for scene in data.get("scenes") or []:
        where = f" at {scene['location']}" if scene.get("location") else ""
        out.append(f"scene {scene['id']}: {scene.get('heading') or ''}{where}")
        for shot in scene.get("shots") or []:
            camera = (shot.get("camera") or {}).get("move", "static")
            transition = (shot.get("transition") or {}).get("type", "cut")
            out.append(f"  shot {scene['id']}/{shot['id']}: {shot.get('type', 'medium')}, duration "
                       f"{shot.get('duration', 'auto')}, camera {camera}, transition {transition}: "
                       f"{shot.get('action', '')}")
            for n, line in enumerate(shot.get("dialogue") or [], 1):
                out.append(f"    line {n} {line.get('character')} ({line.get('emotion') or 'neutral'}): "
                           f"{line.get('line')}")
    text = "\n".join(out)
    return text if len(text) <= _MAX_OUTLINE else text[:_MAX_OUTLINE] + "\n..."


def _example(data: dict[str, Any]) -> str:
    scenes = data.get("scenes") or []
    shot = f"{scenes[0]['id']}/{scenes[0]['shots'][0]['id']}" if scenes and scenes[0].get("shots") else "scene/shot"
    return json.dumps({"operations": [{"op": "set", "path": f"shot:{shot}", "field": "type", "value": "close_up"}]})


def _messages(data: dict[str, Any], instruction: str) -> tuple[Message, ...]:
    return (Message("system", SYSTEM), Message("user", (
        f"The project:\n{outline(data)}\n\nInstruction: {instruction}\n\n"
        "Operations: set (path project, scene:<id>, shot:<scene>/<shot>, element:<Name>, voice:<name> or "
        "style:<name>; a field; a value), insert_shot (after a shot), delete_shot, move_shot (after a shot), "
        "add_line / set_line / delete_line (a shot's dialogue, lines numbered from 1), add_element, "
        "rename_element (every mention follows). In action text write @Name for the project's elements.\n"
        f"Answer like this: {_example(data)}")))


def _load(path: Path) -> tuple[bytes, Any, Any, list[Any], bool]:
    """The file's bytes, source, tree, comments and syntax; ``Failure`` when it cannot be edited."""
    try:
        before = path.read_bytes()
    except OSError as exc:
        raise Failure(Diagnostic.error("E511", f"cannot read {path.name}: {exc.strerror or exc}")) from None
    source, diagnostics = read_source(path)
    if source is None:
        raise Failure(Diagnostic.error("E511", f"{path.name} cannot be edited", hint="fix the problem above"),
                      details=render_text(diagnostics))
    tree, diagnostics = parse(source)
    if tree.root is None or has_errors(diagnostics) or not isinstance(ast.to_data(tree.root), dict):
        raise Failure(Diagnostic.error("E511", f"{path.name} has syntax errors; an edit needs a file that parses",
                                       hint="fix them first (studio check shows them)"),
                      details=render_text([d for d in diagnostics if d.is_error], {source.name: source}))
    dsl = is_dsl(source)
    if dsl:
        from studio_lang.dsl.lexer import lex

        comments = lex(source).comments
    else:
        from studio_lang.comments import yaml_comments

        comments = yaml_comments(source, tree.root)
    return before, source, tree.root, comments, dsl


def edit(llm: LLM, path: Path, instruction: str, *, rounds: int = 2, ctx: CallContext | None = None,
         on_phase: Callable[[str], None] | None = None, seed: int | None = None, timeout: float = 600.0) -> Edited:
    """The edited text of the project file ``path`` (nothing is written)."""
    before, source, root, comments, dsl = _load(path)
    data = ast.to_data(root)
    assert isinstance(data, dict)
    known = {(d.code, d.message) for d in check_text(source.text, path).diagnostics if not d.is_error}
    schema = operations_schema(data)
    base = _messages(data, instruction)
    messages = base
    stats = Stats()
    phase = on_phase or (lambda _name: None)
    last: tuple[Any, Checked, list[dict[str, Any]]] | None = None
    problems: list[str] = []
    op_failure = False
    for attempt in range(rounds + 1):
        name = "edit" if attempt == 0 else f"repair {attempt}"
        phase(name)
        request = Request(messages, schema=schema, max_tokens=4000, timeout=timeout, seed=seed, name=name)
        answer = ask_json(llm, request, stats, ctx)
        operations = list(answer["operations"])
        try:
            new = apply_operations(data, operations)
        except OpError as exc:
            problems, op_failure = exc.reasons, True
        else:
            op_failure = False
            phase("check")
            spliced = splice(source, root, comments, new, dsl)
            checked = check_text(spliced.text, path)
            fresh = [d for d in checked.diagnostics if d.is_error or (d.code, d.message) not in known]
            last = (spliced, checked, operations)
            if not fresh:
                return Edited(path, before, spliced.text, operations, checked, spliced.kept, attempt, stats)
            problems = problem_lines(fresh, checked.source)
        messages = (*base, Message("assistant", json.dumps(answer)), Message("user", (
            "These operations " + ("do not apply" if op_failure else "leave problems in the project") + ":\n- "
            + "\n- ".join(problems) + "\nAnswer with corrected operations for the project as it was.")))
    if last is not None and last[1].ok and not op_failure:  # only new warnings remain: the edit stands
        spliced, checked, operations = last
        return Edited(path, before, spliced.text, operations, checked, spliced.kept, rounds, stats)
    if op_failure or last is None:
        raise Failure(Diagnostic.error("E510", f"the model's operations do not apply after {rounds} repair round"
                                       f"{'s' * (rounds != 1)}: {'; '.join(problems)[:400]}",
                                       hint="say more precisely what to change, or use a larger model"))
    raise Failure(Diagnostic.error("E511", f"the edit leaves errors in {path.name} after {rounds} repair round"
                                   f"{'s' * (rounds != 1)}; nothing written",
                                   hint="say more precisely what to change, or edit the file by hand"),
                  details=last[1].render())
