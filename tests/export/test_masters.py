"""EXR masters: ACEScg half floats that agree with OpenColorIO, the same bytes every time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.export.conftest import needs_export
from tests.export.test_timeline import SHOTS


def read_exr(path: Path) -> tuple[dict, np.ndarray]:
    import OpenEXR

    with OpenEXR.File(str(path)) as f:
        header = dict(f.header())
        pixels = f.channels()["RGB"].pixels.copy()
    return header, pixels


def ocio_processor(source: str, target: str):  # type: ignore[no-untyped-def]
    import PyOpenColorIO as ocio

    from backends.export._colour import CONFIG

    config = ocio.Config.CreateFromBuiltinConfig(CONFIG)
    processor = config.getProcessor(source, target)
    return processor.getOptimizedCPUProcessor(ocio.OptimizationFlags.OPTIMIZATION_LOSSLESS)


def test_a_known_colour_round_trips_within_half_precision(tmp_path: Path) -> None:
    needs_export()
    from backends.export._colour import conversion
    from backends.export.exr import write_exr

    colours = np.array([[[255, 128, 0], [118, 118, 118], [0, 0, 0], [255, 255, 255], [12, 200, 90]]], np.uint16)
    path = write_exr(tmp_path / "c.exr", conversion().apply(colours * 257))
    header, pixels = read_exr(path)
    assert pixels.dtype == np.float16 and pixels.shape == (1, 5, 3)
    assert np.array_equal(pixels[0, 3], [1, 1, 1])  # sRGB white is ACEScg (1, 1, 1)
    assert np.array_equal(pixels[0, 2], [0, 0, 0])
    # what OpenColorIO itself makes of the colours, within half-float rounding
    exact = (colours / 255.0).astype(np.float32)
    ocio_processor("sRGB - Texture", "ACEScg").applyRGB(exact)
    assert np.all(np.abs(pixels.astype(np.float64) - exact) <= np.abs(exact) * 2.0**-11 + 1e-7)
    # and back to sRGB: the colours we started from, within a code value (half floats carry 11
    # significant bits; a dark saturated colour loses most of them to the matrices and the curve)
    back = pixels.astype(np.float32)
    ocio_processor("ACEScg", "sRGB - Texture").applyRGB(back)
    assert np.all(np.abs(back * 255.0 - colours) < 1.0)
    assert np.abs(back * 255.0 - colours)[0, :4].max() < 0.05
    assert header["chromaticities"] == tuple(np.float32(v) for v in (0.713, 0.293, 0.165, 0.830, 0.128, 0.044,
                                                                     0.32168, 0.33767))
    assert header["colorInteropID"] == "lin_ap1_scene"


def test_every_keyframe_and_frame_has_a_master(built: Path) -> None:
    from PIL import Image

    masters = built / "build" / "masters"
    report = json.loads((built / "build" / "report.json").read_text())
    for shot in SHOTS:
        name = shot.replace("/", "-")
        task = next(t for t in report["tasks"] if t["id"] == f"masters:{shot}")
        motion = next(t for t in report["tasks"] if t["id"] == f"motion:{shot}")
        frames = sorted((masters / "shots" / name).glob("*.exr"))
        assert len(frames) == task["meta"]["frames"] == motion["meta"]["frames"]
        assert frames[0].name == f"{name}.0001.exr"
        header, keyframe = read_exr(masters / "keyframes" / f"{name}.exr")
        assert keyframe.shape == (180, 320, 3) and header["compression"].name == "ZIP_COMPRESSION"
        back = keyframe.astype(np.float32)
        ocio_processor("ACEScg", "sRGB - Texture").applyRGB(back)
        with Image.open(built / "build" / "keyframes" / f"{name}.png") as img:
            preview = np.asarray(img.convert("RGB"), np.float32)  # the PNG preview stays sRGB
        assert np.abs(back * 255.0 - preview).max() < 1.0


def test_the_same_project_twice_gives_the_same_bytes(built: Path, tmp_path: Path) -> None:
    """Another place, another store: the same masters, board and timeline, byte for byte."""
    from tests.conftest import LUCA
    from tests.export.conftest import with_masters
    from tests.runtime.helpers import build_json, outputs_bytes, tiny_copy

    again = with_masters(tiny_copy(LUCA, tmp_path / "elsewhere" / "luca"))
    code, summary, err = build_json(again, cache=tmp_path / "fresh-cache")
    assert code == 0 and not summary["cached"], err
    first, second = outputs_bytes(built / "build"), outputs_bytes(again / "build")
    shared = [name for name in first if name.startswith(("masters/", "timeline.otio", "storyboard.pdf", "tracks/"))]
    assert len([n for n in shared if n.endswith(".exr")]) > 100
    assert all(first[name] == second.get(name) for name in shared), [n for n in shared if first[n] != second.get(n)]
