"""Referenced files: confined to the project, present, and readable media, all at check time."""

from __future__ import annotations

import shutil
from pathlib import Path

from backends import CATALOG
from compiler import compile_project
from tests.compiler.helpers import codes
from tests.conftest import LUCA, copy_example


def at(result, code: str) -> int:
    return next(d.span.line for d in result.diagnostics if d.code == code)


def test_corrupt_reference_image(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    data = (project / "refs" / "luca.png").read_bytes()
    (project / "refs" / "luca.png").write_bytes(data[: len(data) // 2])  # truncated PNG
    result = compile_project(project, backends=CATALOG)
    assert codes(result) == ["E307"]
    assert at(result, "E307") == 45  # the `references:` line of Luca


def test_corrupt_music(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    (project / "audio" / "theme.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    result = compile_project(project, backends=CATALOG)
    assert codes(result) == ["E307"]
    assert "audio/theme.wav" in result.diagnostics[0].message


def test_files_outside_the_project_need_permission(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    outside = tmp_path / "shared-refs"
    outside.mkdir()
    shutil.copy(project / "refs" / "luca.png", outside / "luca.png")
    path = project / "film.studio.yaml"
    path.write_text(path.read_text().replace("references: [refs/luca.png]", "references: [../shared-refs/luca.png]"))
    assert codes(compile_project(project, backends=CATALOG)) == ["E306"]
    allowed = compile_project(project, backends=CATALOG, allowed_paths=[outside])
    assert allowed.ok and allowed.plan is not None


def test_symlink_escaping_the_project(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    secret = tmp_path / "secret.png"
    shutil.copy(project / "refs" / "luca.png", secret)
    (project / "refs" / "luca.png").unlink()
    (project / "refs" / "luca.png").symlink_to(secret)
    assert codes(compile_project(project, backends=CATALOG)) == ["E306"]


def test_reference_content_enters_keys_not_its_path(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    before = compile_project(project, backends=CATALOG)
    (project / "refs" / "luca.png").rename(project / "refs" / "boy.png")
    path = project / "film.studio.yaml"
    path.write_text(path.read_text().replace("refs/luca.png", "refs/boy.png"))
    after = compile_project(project, backends=CATALOG)
    assert before.plan is not None and after.plan is not None
    assert {t.id: t.key for t in before.plan.tasks.values()} == {t.id: t.key for t in after.plan.tasks.values()}


def with_start(project: Path, start: str) -> Path:
    """Give the 'peek' shot a starting picture (image-to-image)."""
    path = project / "film.studio.yaml"
    text = path.read_text()
    assert "      - id: peek\n" in text
    path.write_text(text.replace("      - id: peek\n", f"      - id: peek\n        start: {start}\n"))
    return path


def test_start_picture_enters_the_keyframe_by_content(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    plain = compile_project(project, backends=CATALOG)
    shutil.copy(project / "refs" / "luca.png", project / "board.png")
    path = with_start(project, "{image: board.png, strength: 0.4}")
    started = compile_project(path, backends=CATALOG)
    assert started.ok and started.plan is not None and plain.plan is not None
    task = started.plan.tasks["keyframe:cove/peek"]
    assert task.params["start"] == {"file": "start", "strength": 0.4}
    assert task.files["start"].digest == task.files["ref:Luca/1"].digest  # the same picture, by content
    before = {t.id: t.key for t in plain.plan.tasks.values()}
    after = {t.id: t.key for t in started.plan.tasks.values()}
    changed = {tid for tid in before if before[tid] != after[tid]}
    assert {"keyframe:cove/peek", "motion:cove/peek", "shot:cove/peek", "film"} <= changed
    assert not {tid for tid in changed if tid.startswith(("keyframe:", "motion:")) and "peek" not in tid}
    # the picture's content counts, not its name; the strength counts too
    (project / "board.png").rename(project / "layout.png")
    path.write_text(path.read_text().replace("board.png", "layout.png"))
    assert {t.id: t.key for t in compile_project(path, backends=CATALOG).plan.tasks.values()} == after
    path.write_text(path.read_text().replace("strength: 0.4", "strength: 0.5"))
    assert compile_project(path, backends=CATALOG).plan.tasks["keyframe:cove/peek"].key != after["keyframe:cove/peek"]


def test_start_picture_problems_are_reported_together(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    (project / "notes.txt").write_text("not a picture")
    path = with_start(project, "{image: board.pgn, strength: 1.2}")
    text = path.read_text().replace("      - id: dare\n", "      - id: dare\n        start: {image: notes.txt}\n")
    path.write_text(text)
    result = compile_project(path, backends=CATALOG)
    found = sorted((d.code, d.span.line, d.span.column) for d in result.diagnostics)
    peek = text.splitlines().index("        start: {image: board.pgn, strength: 1.2}") + 1
    dare = text.splitlines().index("        start: {image: notes.txt}") + 1
    assert found == sorted([("E305", peek, 24), ("E204", peek, 45), ("E307", dare, 24)]), found


def test_truncated_wav_is_refused_not_played_partly(tmp_path: Path) -> None:
    project = copy_example(LUCA, tmp_path / "luca")
    theme = project / "audio" / "theme.wav"
    data = theme.read_bytes()
    theme.write_bytes(data[: len(data) * 2 // 3])  # decodable, but a third of the music is missing
    result = compile_project(project, backends=CATALOG)
    assert codes(result) == ["E307"]
    assert "cut short" in result.diagnostics[0].message
    streamed = bytearray(data)  # a streaming writer's "size unknown" is not a truncation
    at = streamed.index(b"data")
    streamed[at + 4: at + 8] = b"\xff\xff\xff\xff"
    theme.write_bytes(bytes(streamed))
    assert compile_project(project, backends=CATALOG).ok


def test_wav_probes_read_pcm_with_the_standard_library_and_the_rest_with_libsndfile(tmp_path: Path) -> None:
    import numpy as np
    import soundfile

    from compiler.files import _probe

    tone = (np.sin(np.arange(4800) / 8) * 0.5).astype(np.float32)
    soundfile.write(tmp_path / "pcm.wav", tone, 48000, subtype="PCM_16")
    soundfile.write(tmp_path / "float.wav", tone, 48000, subtype="FLOAT")  # not for the wave module
    soundfile.write(tmp_path / "empty.wav", tone[:0], 48000, subtype="PCM_16")
    for name in ("pcm.wav", "float.wav"):
        assert _probe(tmp_path / name, "audio", 10**6) is None, name
    assert _probe(tmp_path / "empty.wav", "audio", 10**6) == "holds no audio"
    whole = (tmp_path / "pcm.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(whole[: len(whole) // 2])
    assert "cut short" in (_probe(tmp_path / "cut.wav", "audio", 10**6) or "")
    (tmp_path / "junk.wav").write_bytes(whole[:12] + b"fmt \xff\xff\xff\x7f" + b"\x00" * 64)
    assert "not readable audio" in (_probe(tmp_path / "junk.wav", "audio", 10**6) or "")


def test_a_wav_with_a_flood_of_chunks_is_refused_without_walking_them_all(tmp_path: Path) -> None:
    """Bounded work for hostile input: 200,000 empty chunks before the audio would keep a chunk
    walker busy for seconds (a 4 GB file, for minutes); the probe stops after ``WAV_CHUNKS``."""
    import struct

    from compiler.files import WAV_CHUNKS, _probe

    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    body = b"junk\x00\x00\x00\x00" * 200_000 + fmt + b"data" + struct.pack("<I", 4) + b"\x00\x00\x01\x00"
    (tmp_path / "flood.wav").write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    assert f"more than {WAV_CHUNKS:,} chunks" in (_probe(tmp_path / "flood.wav", "audio", 10**6) or "")
    few = b"junk\x00\x00\x00\x00" * 10 + fmt + b"data" + struct.pack("<I", 4) + b"\x00\x00\x01\x00"
    (tmp_path / "few.wav").write_bytes(b"RIFF" + struct.pack("<I", 4 + len(few)) + b"WAVE" + few)
    assert _probe(tmp_path / "few.wav", "audio", 10**6) is None
