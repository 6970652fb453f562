"""A no-op build in a fresh interpreter that says which heavy modules it imported."""

NOOP_PROBE = """
import io, json, os, sys, contextlib
from runtime.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    code = main(["build", sys.argv[1], "--format", "json"])
summary = json.loads(out.getvalue())
heavy = sorted(m for m in ("torch", "diffusers", "transformers", "numpy", "pydantic", "backends.procedural",
                           "backends.ffmpeg", "backends.espeak") if m in sys.modules)
print(json.dumps({"code": code, "executed": summary["executed"], "loads": summary["model_loads"], "heavy": heavy}))
"""

