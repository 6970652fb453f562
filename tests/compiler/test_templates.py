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


def test_compiled_templates_and_their_prompts_are_reused_with_the_same_results() -> None:
    """Compiles reuse a template compiled before (by its source) and the prompts it rendered (by the
    variables): the same text, and a problem raised again with the same fields, every time."""
    from compiler.templates import TemplateProblem, compile_template

    source = "{{ action }}, {{ shot.type }} of {{ scene.heading }}"
    first = compile_template(source)
    assert compile_template(source) is first
    variables = {"action": "Luca peeks", "shot": {"type": "wide"}, "scene": {"heading": "EXT. COVE"}}
    assert first.render(variables) == first.render(dict(variables)) == "Luca peeks, wide of EXT. COVE"
    assert first.render({**variables, "action": "Luca jumps"}) == "Luca jumps, wide of EXT. COVE"
    looping = compile_template("{% set a = 'x' * 1000 %}{% for i in a %}{% for j in a %}{% for k in a %}.{% endfor %}"
                               "{% endfor %}{% endfor %}")
    problems = []
    for _ in range(2):
        try:
            looping.render(variables)
        except TemplateProblem as exc:
            problems.append((exc.code, str(exc), exc.line, exc.hint))
    assert len(problems) == 2 and problems[0] == problems[1] and problems[0][0] == "E304"
