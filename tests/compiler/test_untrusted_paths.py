"""Paths a project names are untrusted: never read as anything but a regular file inside the project,
never waited on, never read without a bound (issue 10, items 1, 4, 7, 8).

Every check that could hang on today's code (a FIFO) runs `studio check` in a subprocess with a
timeout, so a regression fails instead of blocking the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backends import CATALOG
from compiler import compile_project, spec
from compiler.files import max_pixels, open_image
from compiler.weights import REVISION
from studio_lang.diagnostics import render_text
from tests.compiler.helpers import codes, compile_text
from tests.conftest import LUCA, ROOT, copy_example

FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "runtime.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=env)


def replace(project: Path, old: str, new: str) -> None:
    path = project / "film.studio.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- item 1: a revision is a ref name, never a path ------------------------------------------------------

MODEL = """\
studio: 1
project: {{title: Rev, models: {{image: img}}}}
models:
  img: {{backend: diffusers, kind: image, weights: org/model, revision: {revision}}}
  spare: {{backend: diffusers, kind: image, weights: org/spare, revision: {revision}}}
scenes:
  - id: s
    shots: [{{id: a, duration: 1}}]
"""


@pytest.mark.parametrize("revision", ["/etc/hostname", "'../../../../etc/hostname'", "/dev/zero", "'a//b'",
                                      "'.hidden'", "'refs/../main'", "'x y'", "'main\\n'"])
def test_a_revision_that_is_a_path_is_refused_and_never_read(tmp_path: Path, revision: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    result = compile_text(tmp_path / "p", MODEL.format(revision=revision))
    errors = [d for d in result.diagnostics if d.is_error]
    assert [d.code for d in errors] == ["E205", "E205"], result.diagnostics  # the unused model too
    assert errors[0].message.startswith("invalid 'revision'")
    assert errors[0].hint is not None and "never a path" in errors[0].hint


@FIFO
def test_a_revision_naming_a_fifo_does_not_hang_check(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    project = tmp_path / "p"
    project.mkdir()
    (project / "film.studio.yaml").write_text(MODEL.format(revision=str(fifo)), encoding="utf-8")
    done = cli("check", str(project), cwd=tmp_path)
    assert done.returncode == 1 and "error[E205]: invalid 'revision'" in done.stderr


@pytest.mark.parametrize("revision", ["main", "v1.0", "refs/pr/1", "release_2024-01", "a" * 40])
def test_real_revisions_are_accepted(revision: str) -> None:
    import re

    assert re.match(REVISION, revision)
    assert REVISION == spec.REVISION


def test_a_revision_resolves_among_the_refs_the_cache_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = tmp_path / "hub"
    refs = hub / "models--org--model" / "refs"
    (refs / "refs" / "pr").mkdir(parents=True)
    (refs / "refs" / "pr" / "1").write_text("c" * 40)
    (refs / "main").write_text("d" * 40)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    pr = compile_text(tmp_path / "p", MODEL.format(revision="refs/pr/1").replace("  spare:", "  #"))
    assert pr.plan is not None, pr.diagnostics
    assert pr.plan.tasks["keyframe:s/a"].model.config()["revision"] == "c" * 40
    main = compile_text(tmp_path / "q", MODEL.format(revision="main").replace("  spare:", "  #"))
    assert main.plan is not None and main.plan.tasks["keyframe:s/a"].model.config()["revision"] == "d" * 40


def test_weights_in_the_home_of_a_user_that_does_not_exist(tmp_path: Path) -> None:
    """'~nobody0/model' has no home to expand (found by the path fuzzer): a diagnostic, not a RuntimeError."""
    result = compile_text(tmp_path, MODEL.format(revision="main").replace("weights: org/model", "weights: ~nobody0/m"))
    assert [(d.code, d.message) for d in result.diagnostics if d.is_error] == [
        ("E305", "weights not found: '~nobody0/m'")]


# --- item 4: long names, FIFOs and directories as references --------------------------------------------

def test_a_name_component_longer_than_255_bytes_is_a_diagnostic(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    replace(project, "references: [refs/luca.png]", f"references: [refs/{'a' * 300}.png]")
    result = compile_project(project, backends=CATALOG)
    assert codes(result) == ["E305"]
    d = result.diagnostics[0]
    assert d.message == f"'refs/{'a' * 52}...' has a name component longer than 255 bytes ('{'a' * 24}...', 304 bytes)"
    assert (d.span.line, d.hint) == (45, "shorten the file or folder name")


@pytest.mark.parametrize("make", ["directory", "fifo"])
def test_a_reference_that_is_not_a_file_says_what_it_is(tmp_path: Path, make: str) -> None:
    if make == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs")
    project = copy_example(LUCA, tmp_path / "luca")
    (project / "refs" / "luca.png").unlink()
    if make == "fifo":
        os.mkfifo(project / "refs" / "luca.png")
    else:
        (project / "refs" / "luca.png").mkdir()
    done = cli("check", "luca", cwd=tmp_path)
    what = "a FIFO (named pipe)" if make == "fifo" else "a directory"
    assert done.returncode == 1
    assert done.stderr == f"""\
luca/film.studio.yaml:45:18: error[E305]: 'refs/luca.png' is {what}, not a file
   |
45 |     references: [refs/luca.png]
   |                  ^^^^^^^^^^^^^ name an image file (PNG, JPEG, WebP)
"""


@FIFO
def test_music_that_is_a_fifo_and_weights_that_are_a_fifo(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    (project / "audio" / "theme.wav").unlink()
    os.mkfifo(project / "audio" / "theme.wav")
    done = cli("check", "luca", cwd=tmp_path)
    assert "error[E305]: 'audio/theme.wav' is a FIFO (named pipe), not a file" in done.stderr
    (project / "models").mkdir()
    os.mkfifo(project / "models" / "w.safetensors")
    replace(project, "  sketch:\n", "  ai:\n    backend: diffusers\n    kind: image\n"
            "    weights: models/w.safetensors\n  sketch:\n")
    done = cli("check", "luca", cwd=tmp_path)
    assert "error[E305]: weights 'models/w.safetensors' is a FIFO (named pipe), not a file or directory" in done.stderr


# --- item 7: images bounded in pixels, relative to the frame ---------------------------------------------

def big_png(path: Path, width: int, height: int) -> None:
    from PIL import Image

    Image.new("L", (width, height), 128).save(path)


def test_a_huge_pixel_png_is_refused_before_it_is_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracemalloc

    project = copy_example(LUCA, tmp_path / "luca")
    big_png(project / "refs" / "luca.png", 13000, 13000)  # 169 million pixels in a file of about 500 KB
    monkeypatch.chdir(tmp_path)
    tracemalloc.start()
    try:
        result = compile_project(Path("luca"), backends=CATALOG)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, f"{peak / 2**20:.0f} MB"
    assert render_text(result.diagnostics, result.sources) == """\
luca/film.studio.yaml:45:18: error[E307]: 'refs/luca.png' is too large: 13000x13000 is 169,000,000 pixels; at most \
14,745,600
   |
45 |     references: [refs/luca.png]
   |                  ^^^^^^^^^^^^^ images here may have 14,745,600 pixels (16 times the 1280x720 frame): scale it \
down, e.g. to 3838x3838
"""


def test_the_pixel_bound_follows_the_frame_and_start_images_have_it_too(tmp_path: Path) -> None:
    assert max_pixels((1280, 720)) == 16 * 1280 * 720
    assert max_pixels((320, 180)) == 2048 * 2048  # never less than a 2048x2048 picture
    project = copy_example(LUCA, tmp_path / "luca")
    big_png(project / "refs" / "board.png", 5000, 3000)  # 15 million pixels: too many for 1280x720
    replace(project, "      - id: peek\n", "      - id: peek\n        start: {image: refs/board.png}\n")
    assert codes(compile_project(project, backends=CATALOG)) == ["E307"]
    replace(project, "resolution: [1280, 720]", "resolution: [1920, 1080]")  # 16 x 2 million: allowed
    assert compile_project(project, backends=CATALOG).ok


def test_images_decode_reduced_to_what_a_task_needs(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "photo.jpg"
    Image.new("RGB", (4000, 3000), (200, 120, 40)).save(path, quality=80)
    img = open_image(path, (320, 180))
    assert img.size[0] <= 1000 and img.size[1] <= 750  # JPEG decoded at 1/4 or 1/8 scale, never 4000x3000
    png = tmp_path / "photo.png"
    Image.new("RGB", (4000, 3000), (200, 120, 40)).save(png)
    assert open_image(png, (320, 180)).size == (334, 250)  # reduced by 12 right after decoding: never below 320x180
    with pytest.raises(ValueError, match="pixels"):
        open_image(png, None, limit=1000)
    gif = tmp_path / "frames.gif"  # palette pictures (and the first of several frames) reduce too, and stay usable
    frames = [Image.new("RGB", (900, 600), (40 * i, 2, 3)) for i in range(3)]
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    for size, expected in (((320, 180), (450, 300)), ((800, 500), (900, 600))):
        img = open_image(gif, size)
        assert img.size == expected and img.convert("RGB").getpixel((0, 0)) == (0, 2, 3)


# --- item 8: the project path itself -------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "directory"])
def test_a_project_file_that_is_not_a_regular_file_is_e001(tmp_path: Path, target: str) -> None:
    path = tmp_path / "film.studio.yaml"
    if target == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs")
        os.mkfifo(path)
    elif target == "directory":
        path.mkdir()
    else:
        if not os.path.exists(target):
            pytest.skip(f"no {target}")
        path.symlink_to(target)
    done = cli("check", "film.studio.yaml", cwd=tmp_path)
    what = {"/dev/zero": "a character device", "fifo": "a FIFO (named pipe)", "directory": "a directory"}[target]
    if target == "directory":  # a directory named like a project is looked into
        assert "error[E003]: no project file in 'film.studio.yaml'" in done.stderr
        return
    assert (done.returncode, done.stderr) == (1, f"film.studio.yaml:1:1: error[E001]: 'film.studio.yaml' is {what}, "
                                                  "not a file\n")
    done = cli("check", ".", cwd=tmp_path)  # found in its directory, then refused the same way
    assert done.stderr.endswith(f"error[E001]: 'film.studio.yaml' is {what}, not a file\n")


def test_a_project_path_with_a_name_too_long_is_e001(tmp_path: Path) -> None:
    done = cli("check", "x" * 300 + ".studio.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert "error[E001]:" in done.stderr and "longer than 255 bytes" in done.stderr
    assert "Traceback" not in done.stderr
