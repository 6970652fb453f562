"""Edits that write a changed ``.studio`` document into the original text (see ``splice``).

The screenplay DSL puts several fields on one line (``[peek] medium 2.5s dolly_in``), so it is
spliced by whole units, each re-rendered by the DSL emitter when its data changed: the project's
settings, the output line, each definition (a model, style, voice or element with its indented
lines), each music or effect line, each scene's heading block, and each shot (its line, action and
speeches). Units are matched by name or id; new ones go after their predecessor.
"""

from __future__ import annotations

from typing import Any

from studio_lang import ast

from .splice import Edit, Lines, same

__all__ = ["dsl_edits"]

_SECTIONS = ("models", "styles", "voices", "elements")
Unit = tuple[str, ...]


def _extent(lines: Lines, node: ast.Node | ast.Key) -> tuple[int, int]:
    """First and last line of everything a node (or key) wrote."""
    first, last = node.span.line, node.span.end_line
    if isinstance(node, ast.Mapping):
        for key, value in node.entries:
            for part in (key, value):
                a, b = _extent(lines, part)
                if a > 0:
                    first, last = min(first, a), max(last, b)
    elif isinstance(node, ast.Sequence):
        for item in node.items:
            a, b = _extent(lines, item)
            if a > 0:
                first, last = min(first, a), max(last, b)
    return first, last


def _units(root: ast.Node, lines: Lines) -> dict[Unit, tuple[int, int, Any]] | None:
    """Unit -> (first line, last line, its data), in document order; None for a shape not handled."""
    if not isinstance(root, ast.Mapping):
        return None
    out: dict[Unit, tuple[int, int, Any]] = {}
    for key, value in root.entries:
        name = key.name
        if name in _SECTIONS and isinstance(value, ast.Mapping):
            for k, v in value.entries:
                first, last = _extent(lines, v)
                out[(name, k.name)] = (min(first, k.span.line), max(last, k.span.line), [k.name, ast.to_data(v)])
        elif name == "audio" and isinstance(value, ast.Sequence):
            for item in value.items:
                data = ast.to_data(item)
                if not isinstance(data, dict) or "id" not in data:
                    return None
                out[("audio", str(data["id"]))] = (*_extent(lines, item), data)
        elif name == "scenes" and isinstance(value, ast.Sequence):
            for scene in value.items:
                if not _scene(scene, lines, out):
                    return None
        else:
            first, last = _extent(lines, value)
            out[("top", name)] = (min(first, key.span.line), max(last, key.span.line), ast.to_data(value))
    return out


def _scene(scene: ast.Node, lines: Lines, out: dict[Unit, tuple[int, int, Any]]) -> bool:
    shots = scene.get("shots") if isinstance(scene, ast.Mapping) else None
    data = ast.to_data(scene)
    if not isinstance(shots, ast.Sequence) or not shots.items or not isinstance(data, dict) or "id" not in data:
        return False
    sid = str(data["id"])
    first_shot = min(_extent(lines, item)[0] for item in shots.items)
    end = first_shot - 1
    while end > scene.span.line and lines.blank_or_comment(end):
        end -= 1
    out[("scene", sid)] = (scene.span.line, end, {k: v for k, v in data.items() if k != "shots"})
    for item in shots.items:
        shot = ast.to_data(item)
        if not isinstance(shot, dict) or "id" not in shot:
            return False
        out[("shot", sid, str(shot["id"]))] = (*_extent(lines, item), shot)
    return True


def _group(unit: Unit) -> Unit:
    """Units that are siblings: the shots of one scene, one section's definitions, the scene headers."""
    return unit[:2] if unit[0] == "shot" else unit[:1]


def dsl_edits(text: str, root: ast.Node, full: str, emitted: ast.Node) -> list[Edit] | None:
    o_lines, e_lines = Lines(text), Lines(full)
    old = _units(root, o_lines)
    new = _units(emitted, e_lines)
    if old is None or new is None:
        return None
    from .splice_yaml import _lcs

    old = _renamed(old, new)
    stable = _lcs([u for u in old if u in new], [u for u in new if u in old])
    edits: list[Edit] = []
    for unit in old:
        if unit not in stable:
            edits.append(_delete(o_lines, unit, *old[unit][:2]))
    pending: dict[Unit, list[str]] = {}
    previous: dict[Unit, Unit] = {}
    for unit, (e_first, e_last, e_data) in new.items():
        if unit in stable:
            o_first, o_last, o_data = old[unit]
            if not same(o_data, e_data):
                edits.append(Edit(o_first - 1, o_last, tuple(e_lines.text(n) for n in range(e_first, e_last + 1))))
            previous[_group(unit)] = unit
            continue
        if unit in old and same(old[unit][2], e_data):  # moved as it was: its own text, comments above included
            first, last = old[unit][:2]
            body = [o_lines.text(n) for n in range(o_lines.attached_comments(first), last + 1)]
        else:
            body = [e_lines.text(n) for n in range(e_first, e_last + 1)]
        anchor = previous.get(_group(unit)) or (("scene", unit[1]) if unit[0] == "shot" else None)
        if anchor is None or anchor not in stable:
            return None
        blank = [""] if unit[0] in ("shot", "scene") else []
        pending.setdefault(anchor, []).extend(blank + body)
    for anchor, body in pending.items():
        at = old[anchor][1]
        edits.append(Edit(at, at, tuple(body)))
    return edits


def _renamed(old: dict[Unit, Any], new: dict[Unit, Any]) -> dict[Unit, Any]:
    """``old`` with a unit that is gone renamed to the new unit at the same place of its group (a renamed
    definition or shot is replaced where it stands)."""
    groups_old: dict[Unit, list[Unit]] = {}
    groups_new: dict[Unit, list[Unit]] = {}
    for unit in old:
        groups_old.setdefault(_group(unit), []).append(unit)
    for unit in new:
        groups_new.setdefault(_group(unit), []).append(unit)
    alias: dict[Unit, Unit] = {}
    for group, units in groups_new.items():
        before = groups_old.get(group, [])
        if len(before) != len(units):
            continue
        for a, b in zip(before, units, strict=True):
            if a != b and a not in new and b not in old:
                alias[a] = b
    return {alias.get(u, u): v for u, v in old.items()} if alias else old


def _delete(lines: Lines, unit: Unit, first: int, last: int) -> Edit:
    first = lines.attached_comments(first)
    if unit[0] in ("shot", "scene") and not lines.text(first - 1).strip():
        first -= 1  # the blank line that separated it
    return Edit(first - 1, last, ())
