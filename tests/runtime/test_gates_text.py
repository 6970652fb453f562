"""`studio plan`'s gates section: for each gated keyframe in the store, the try kept (seed, scores,
pass or fail, of how many tries), then every try; the record is what the diffusers keyframe writes
(``meta["gates"]``, also ``build/report.json``'s ``gates``). The end-to-end check on a real build is
tests/ai/test_control_build.py."""

from __future__ import annotations

from runtime.commands.render import gates_text

RETRIED = {
    "tries": [{"seed": 5, "identity": 0.41, "prompt": 0.3, "passed": False, "elements": {"Mira": 0.41}},
              {"seed": 11400714819323198490, "identity": 0.7, "prompt": 0.28, "passed": True,
               "elements": {"Mira": 0.7}}],
    "kept": 1, "seed": 11400714819323198490, "passed": True, "thresholds": {"identity": 0.65, "prompt": 0.25},
}
FAILED = {
    "tries": [{"seed": 5, "identity": None, "prompt": 0.1, "passed": False},
              {"seed": 6, "identity": None, "prompt": 0.2, "passed": False}],
    "kept": 1, "seed": 6, "passed": False, "thresholds": {"identity": None, "prompt": 0.25},
    "warning": "no try passed the gates in 2 renders; kept try 2, the closest",
}
FIRST = {"tries": [{"seed": 9, "identity": 0.9, "prompt": None, "passed": True}], "kept": 0, "seed": 9,
         "passed": True, "thresholds": {"identity": 0.65, "prompt": None}}


def test_the_kept_try_first_then_every_try() -> None:
    text = gates_text({"keyframe:s/a": RETRIED, "keyframe:s/b": FAILED, "keyframe:s/c": FIRST,
                       "keyframe:s/d": None})
    assert text == [
        "gates:",
        "  keyframe:s/a  kept try 2 of 2, seed 11400714819323198490: identity 0.700 (min 0.65), "
        "prompt 0.280 (min 0.25)  pass",
        "    try 1 seed 5: identity 0.410 (min 0.65), prompt 0.300 (min 0.25)  fail",
        "    try 2 seed 11400714819323198490: identity 0.700 (min 0.65), prompt 0.280 (min 0.25)  pass",
        "  keyframe:s/b  kept try 2 of 2, seed 6: prompt 0.200 (min 0.25)  fail",
        "    try 1 seed 5: prompt 0.100 (min 0.25)  fail",
        "    try 2 seed 6: prompt 0.200 (min 0.25)  fail",
        "    warning: no try passed the gates in 2 renders; kept try 2, the closest",
        "  keyframe:s/c  kept try 1 of 1, seed 9: identity 0.900 (min 0.65)  pass",  # one try: no list
        "  keyframe:s/d  (not rendered)",
        "",
    ]
