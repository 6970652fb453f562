"""storyboard.pdf: poppler finds every shot and line in it and renders every page."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backends.base import Artifact, TaskRun
from tests.conftest import ROOT
from tests.export.conftest import needs_export, needs_tool
from tests.export.test_timeline import LINES, SHOTS


def pdftotext(pdf: Path) -> str:
    return subprocess.run([needs_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def render_pages(pdf: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([needs_tool("pdftoppm"), "-r", "40", "-png", str(pdf), str(out / "page")], check=True,
                   capture_output=True)
    return sorted(out.glob("page-*.png"))


def test_the_board_names_every_shot_and_line_and_every_page_renders(built: Path, tmp_path: Path) -> None:
    from PIL import Image

    pdf = built / "build" / "storyboard.pdf"
    text = " ".join(pdftotext(pdf).split())  # lines may wrap in a panel
    for shot in SHOTS:
        assert shot in text, shot
    for character, line in LINES:
        assert character.upper() in text and line in text, line
    assert "Luca Sees the Sea" in text and "Luca peeks over a rock at the water" in text
    assert "dolly in 0.15" in text and "dissolve 0.5 s" in text and "4 shots in 2 scenes" in text
    report = json.loads((built / "build" / "report.json").read_text())
    meta = next(t["meta"] for t in report["tasks"] if t["id"] == "storyboard_pdf")
    for task in report["tasks"]:  # every panel prints its shot's real length, auto shots after a dissolve too
        if task["id"].startswith("shot:"):
            frames = task["meta"]["frames"]
            assert f"{frames / 24:.1f} s · {frames} fr" in text, (task["id"], frames)
    film = next(t["meta"]["frames"] for t in report["tasks"] if t["id"] == "film")
    assert f"({film} frames at 24 fps)" in text  # the title page gives the film's real length
    pages = render_pages(pdf, tmp_path)
    assert len(pages) == meta["pages"] == 2  # the title page and one page of six panels
    for page in pages:
        with Image.open(page) as img:
            assert img.width > img.height  # landscape
            assert len(np.unique(np.asarray(img.convert("L")))) > 10  # something is drawn
    fonts = subprocess.run([needs_tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all("DejaVuSans" in row[0] and row[-5:-2] == ["yes", "yes", "yes"] for row in rows), fonts


def board_task(task_dir: Path, built: Path, shots: list[dict[str, Any]], **params: Any) -> TaskRun:
    """A ``storyboard_pdf`` task on panels the procedural backend made of the built keyframes."""
    from backends import procedural
    from compiler.boards import print_width

    params = {"title": "Board", "fps": 24, "width": 320, "height": 180, "panels_per_page": 6, "paper": "a4",
              "shots": shots, **params}
    width = print_width(params["paper"], params["panels_per_page"], (params["width"], params["height"]))
    panels = {}
    for s in shots:
        keyframe = built / "build" / "keyframes" / (s["panel"].split(":", 1)[1].replace("/", "-") + ".png")
        workdir = task_dir / "panels" / s["panel"].replace(":", "-").replace("/", "-")
        workdir.mkdir(parents=True, exist_ok=True)
        made = procedural.run(TaskRun(s["panel"], "panel", {"move": "static", "transition": None, "sheet": False,
                                                           "print": {"width": width}},
                                      {"keyframe": Artifact({"image": keyframe})}, {}, workdir), {})
        panels[s["panel"]] = Artifact(made.outputs, made.meta)
    task_dir.mkdir(parents=True, exist_ok=True)
    return TaskRun("storyboard_pdf", "storyboard_pdf", params, panels, {}, task_dir)


def board(task_dir: Path, built: Path, shots: list[dict[str, Any]], **params: Any) -> tuple[Path, dict[str, Any]]:
    """Run the pdf backend itself on panels the procedural backend made of the built keyframes."""
    from backends.export import pdf

    result = pdf.run(board_task(task_dir, built, shots, **params))
    return result.outputs["storyboard.pdf"], result.meta


def shot(n: int, **extra: Any) -> dict[str, Any]:
    return {"panel": "panel:cove/peek", "id": f"cove/shot-{n}", "heading": "EXT. COVE - DAY", "type": "medium",
            "duration": 2.0, "frames": 48, "lines": [], "camera": {"move": "static", "amount": None},
            "transition": None,
            "action": f"Action number {n}", "dialogue": [], **extra}


@pytest.mark.parametrize(("per_page", "pages"), [(1, 14), (4, 5), (6, 4), (12, 3)])
def test_panels_per_page_lays_out_the_pages(built: Path, tmp_path: Path, per_page: int, pages: int) -> None:
    needs_export()
    out, meta = board(tmp_path / "t", built, [shot(n) for n in range(1, 14)], panels_per_page=per_page)
    assert meta["pages"] == pages  # the title page, then ceil(13 / per_page)
    text = " ".join(pdftotext(out).split())
    assert all(f"cove/shot-{n}" in text for n in range(1, 14))
    assert len(render_pages(out, tmp_path / "png")) == pages
    assert f"{pages}/{pages}" in "".join(text.split())  # the last page's footer counts every page


def test_the_same_board_is_the_same_bytes_and_long_text_stays_in_its_panel(built: Path, tmp_path: Path) -> None:
    needs_export()
    talk = [{"character": "Luca", "text": "word " * 60, "emotion": None}] * 6
    shots = [shot(1, dialogue=talk), shot(2, action="日本語 and Ελλη\u00adνικά\x07\x1b")]
    first, meta = board(tmp_path / "a", built, shots, paper="letter")
    second, _ = board(tmp_path / "b", built, shots, paper="letter")
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    assert meta["missing_glyphs"] == 3  # no CJK in the shipped font: shown as U+FFFD, counted
    text = pdftotext(first)
    assert "\u2026" in text  # too much dialogue for a panel: cut with an ellipsis, not spilled
    assert "Ελληνικά" in text and "\ufffd\ufffd\ufffd and" in text
    assert not any(ord(ch) < 32 and ch not in "\n\f" for ch in text)  # control characters are left out


AGAIN = """
import json, sys
from pathlib import Path
from backends.base import Artifact, TaskRun
from backends.export import pdf
task = json.loads(Path(sys.argv[1]).read_text())
panels = {name: Artifact({k: Path(v) for k, v in outputs.items()}) for name, outputs in task["panels"].items()}
result = pdf.run(TaskRun("storyboard_pdf", "storyboard_pdf", task["params"], panels, {}, Path(sys.argv[2])))
print(result.outputs["storyboard.pdf"])
"""


def trailer_id(pdf: bytes) -> bytes:
    found = re.findall(rb"/ID\s*\[<([0-9a-f]+)><([0-9a-f]+)>\]", pdf)
    assert found and found[-1][0] == found[-1][1], pdf[-300:]
    return found[-1][0]


def test_another_process_makes_the_same_bytes_and_the_id_follows_the_content(built: Path, tmp_path: Path) -> None:
    """Two processes (another hash seed, ``SOURCE_DATE_EPOCH`` set in the second) write the same bytes;
    another board has another document id."""
    needs_export()
    task = board_task(tmp_path / "a", built, [shot(n, action=f"Scène {n} \u2014 Ελληνικά") for n in range(1, 8)])
    from backends.export import pdf

    first = pdf.run(task).outputs["storyboard.pdf"].read_bytes()
    spec = tmp_path / "task.json"
    spec.write_text(json.dumps({"params": task.params, "panels": {
        name: {k: str(v) for k, v in artifact.outputs.items()} for name, artifact in task.inputs.items()}}))
    (tmp_path / "b").mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="12345", SOURCE_DATE_EPOCH="1700000000")
    done = subprocess.run([sys.executable, "-c", AGAIN, str(spec), str(tmp_path / "b")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).read_bytes() == first
    assert b"/CreationDate (D:20000101000000+00'00')" in first
    other, _ = board(tmp_path / "c", built, [shot(n, action=f"Scène {n}") for n in range(1, 8)])
    assert trailer_id(other.read_bytes()) != trailer_id(first)


def test_each_panel_picture_is_embedded_as_the_panel_task_made_it(built: Path, tmp_path: Path) -> None:
    """poppler lists every picture as a JPEG at the panel's pixel size and gives back the very bytes of
    the panel's ``print`` JPEG: nothing decoded or re-encoded it."""
    needs_export()
    shots = [shot(1), shot(2, panel="panel:cove/dare"), shot(3, panel="panel:jump/leap"), shot(4)]
    task = board_task(tmp_path / "t", built, shots)
    from backends.export import pdf

    out = pdf.run(task).outputs["storyboard.pdf"]
    listing = subprocess.run([needs_tool("pdfimages"), "-list", str(out)], capture_output=True, text=True,
                             check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    assert len(rows) == 4 and all(row[2] == "image" and row[8] == "jpeg" for row in rows), listing
    assert len({row[10] for row in rows}) == 3, listing  # the picture drawn twice is one object
    subprocess.run([needs_tool("pdfimages"), "-j", str(out), str(tmp_path / "img")], check=True, capture_output=True)
    extracted = {p.read_bytes() for p in tmp_path.glob("img-*.jpg")}
    made = {Path(a.outputs["print"]).read_bytes() for a in task.inputs.values()}
    assert extracted == made and len(made) == 3
    data = out.read_bytes()
    assert all(picture in data for picture in made)  # stored as they are (DCTDecode alone, no ASCII85 around it)


def test_a_panel_picture_that_is_no_jpeg_fails_the_task_by_name(built: Path, tmp_path: Path) -> None:
    """reportlab would embed its own placeholder picture for a stream it cannot read: the board refuses."""
    needs_export()
    from backends.base import BackendError
    from backends.export import pdf

    task = board_task(tmp_path / "t", built, [shot(1)])
    Path(task.inputs["panel:cove/peek"].outputs["print"]).write_bytes(b"\x89PNG\r\n\x1a\n not a jpeg")
    with pytest.raises(BackendError, match=r"storyboard_pdf: panel:cove/peek: not a JPEG"):
        pdf.run(task)
