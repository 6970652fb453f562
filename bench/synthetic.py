"""Synthetic projects of N shots (shared by the compile and build benchmarks)."""

from __future__ import annotations

import random
from pathlib import Path

HEADER = """\
# yaml-language-server: $schema=../../schemas/project.schema.json
studio: 1
project:
  title: Synthetic {shots} shots
  fps: 24
  resolution: [1280, 720]
  seed: 1
  style: house
  vram_gb: 8
models:
  draft: {{backend: procedural, kind: image, params: {{look: sketch}}}}
styles:
  house:
    prompt: "{{{{ action }}}}, {{{{ shot.type | replace('_', ' ') }}}} shot, flat colours"
    palette: ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51"]
voices:
  ana: {{language: en-us, pitch: 60}}
  bo: {{language: en, pitch: 35}}
elements:
  Ana: {{kind: character, description: a girl in a red coat, color: "#d62828", voice: ana}}
  Bo: {{kind: character, description: a tall man with a grey beard, voice: bo}}
  Harbour: {{kind: location, description: a small harbour with fishing boats}}
scenes:
"""

TYPES = ["wide", "medium", "close_up", "over_the_shoulder", "establishing"]
MOVES = ["static", "pan_left", "pan_right", "dolly_in", "zoom_out"]


def project_text(shots: int, shots_per_scene: int = 10, seed: int = 0) -> str:
    rng = random.Random(seed)
    out = [HEADER.format(shots=shots)]
    for s in range(0, shots, shots_per_scene):
        out.append(f"  - id: scene-{s // shots_per_scene}\n    location: Harbour\n    shots:\n")
        for k in range(s, min(s + shots_per_scene, shots)):
            out.append(f"      - id: shot-{k}\n        type: {rng.choice(TYPES)}\n")
            if k % 3:
                out.append(f"        duration: {rng.choice([2, 2.5, 3, 4])}\n")
            out.append(f'        action: "@Ana looks at @Bo across @Harbour, take {k}"\n')
            out.append(f"        camera: {{move: {rng.choice(MOVES)}}}\n")
            if k % 2:
                out.append("        models: {image: draft}\n")
            if k % 3 == 0:
                out.append("        dialogue:\n")
                out.append(f'          - {{character: Ana, line: "Do you see boat number {k}?", emotion: curious}}\n')
                out.append('          - {character: Bo, line: "I see it. It is late again."}\n')
    return "".join(out)


def write_project(directory: Path, shots: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "film.studio.yaml"
    path.write_text(project_text(shots), encoding="utf-8")
    return path
