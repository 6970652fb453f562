"""Style prompts are untrusted templates: sandboxed, bounded, deterministic."""

from __future__ import annotations

import pytest

from compiler.templates import TemplateProblem, compile_template

VARS = {"action": "Luca runs", "shot": {"type": "close_up", "id": "a"}}


def render(source: str) -> str:
    return compile_template(source).render(VARS)


def test_renders_filters_and_conditions() -> None:
    assert render("{{ action }}, {{ shot.type | replace('_', ' ') }} shot") == "Luca runs, close up shot"
    assert render("{% if shot.type == 'close_up' %}tight{% else %}loose{% endif %}") == "tight"


@pytest.mark.parametrize(("source", "code"), [
    ("{{ missing }}", "E303"),
    ("{{ action.nope }}", "E303"),
    ("{% if %}", "E303"),
    ("{{ ''.__class__.__mro__ }}", "E304"),
    ("{{ action.__class__.__init__.__globals__ }}", "E304"),
    ("{{ 'x' * 100000000 }}", "E304"),
    ("{{ 9 ** 9 ** 9 }}", "E304"),
    ("{% include '/etc/passwd' %}", "E303"),
    ("{% import 'x' as y %}", "E303"),
    ("{{ range(10) }}", "E303"),
    ("{{ lipsum() }}", "E303"),
    ("{{ action.upper }}", "E304"),
    ("{{ 'a' | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa')"
     " | replace('a', 'aaaaaaaaaa') | replace('a', 'aaaaaaaaaa') }}", "E304"),
])
def test_refuses(source: str, code: str) -> None:
    with pytest.raises(TemplateProblem) as info:
        render(source)
    assert info.value.code == code
