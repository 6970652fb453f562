"""`studio export`: the built timeline through OpenTimelineIO's adapters, media paths that resolve."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlparse

from tests.conftest import ROOT
from tests.export.test_timeline import SHOTS
from tests.runtime.helpers import studio


def test_otio_elsewhere_keeps_every_media_path_resolving(built: Path, tmp_path: Path) -> None:
    import opentimelineio as otio

    out = tmp_path / "edit" / "cut.otio"
    out.parent.mkdir()
    done = studio("export", str(built), "--format", "otio", str(out))
    assert done.returncode == 0, done.stderr
    timeline = otio.adapters.read_from_file(str(out))
    clips = list(timeline.find_clips())
    assert [c.name for c in timeline.video_tracks()[0].find_clips()] == SHOTS
    for clip in clips:
        url = clip.media_reference.target_url
        assert not Path(url).is_absolute() and (out.parent / url).resolve().is_file(), url


def test_fcpxml_and_edl_through_the_adapter_plugins(built: Path, tmp_path: Path) -> None:
    fcpxml = tmp_path / "cut.fcpxml"
    done = studio("export", str(built), str(fcpxml))  # the format from the extension
    assert done.returncode == 0, done.stderr
    root = ET.parse(fcpxml).getroot()
    sources = [unquote(urlparse(a.get("src", "")).path) for a in root.iter("asset")]
    assert sources and all(Path(s).is_file() for s in sources)
    assert {a.get("name") for a in root.iter("asset")} >= set(SHOTS)
    edl = tmp_path / "cut.edl"
    done = studio("export", str(built / "build" / "timeline.otio"), "--format", "edl", str(edl))
    assert done.returncode == 0, done.stderr
    text = edl.read_text()
    assert "TITLE: Luca Sees the Sea" in text and "D 012" in text  # the half-second dissolve, 12 frames
    assert all(f"CLIP NAME:  {shot}" in text for shot in SHOTS)  # FROM, or TO at a dissolve


def test_it_never_overwrites_without_force_and_says_what_is_missing(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "cut.otio"
    out.write_text("mine")
    done = studio("export", str(built), str(out))
    assert done.returncode == 1 and "--force" in done.stderr and out.read_text() == "mine"
    assert studio("export", str(built), str(out), "--force").returncode == 0 and out.read_text() != "mine"
    assert studio("export", str(built), str(tmp_path / "cut.mov")).returncode == 2
    unbuilt = tmp_path / "unbuilt"
    unbuilt.mkdir()
    (unbuilt / "film.studio.yaml").write_bytes((built / "film.studio.yaml").read_bytes())
    done = studio("export", str(unbuilt), str(tmp_path / "x.otio"))
    assert done.returncode == 1 and "studio build" in done.stderr and "Traceback" not in done.stderr


def test_a_missing_adapter_names_the_package_to_install(built: Path, tmp_path: Path) -> None:
    env = dict(os.environ, OTIO_DISABLE_ENTRYPOINTS_PLUGINS="1")  # as if no adapter plugin were installed
    done = subprocess.run([sys.executable, "-m", "runtime.cli", "export", str(built), str(tmp_path / "cut.fcpxml")],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 1
    assert done.stderr == ("studio: writing fcpxml needs OpenTimelineIO's 'fcpx_xml' adapter, which is not "
                           "installed: pip install otio-fcpx-xml-adapter\n")
