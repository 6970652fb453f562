"""Staging: who is in a shot, where they stand, in which pose, how they move: plain data, no pixels.

The procedural backend draws from it (keyframes and every frame of motion); the keyframe task
writes it as its ``layout`` output, so anything that needs "the same layout the animatic uses"
(pose skeletons, depth or masks for a conditioned image model) reads it back with
``Staging.from_json`` and asks ``frame_states`` and ``body`` where each joint is. See README.md.
"""

from __future__ import annotations

from .figure import Figure, figure_for
from .layout import Actor, Move, PropPlace, Setup, Staging, stage
from .lexicon import VERBS, Direction, read_action
from .poses import ACTS, Pose, compose
from .skeleton import Body, body
from .timeline import KEY_DURATION, ActorState, Line, frame_states

__all__ = [
    "ACTS", "KEY_DURATION", "VERBS", "Actor", "ActorState", "Body", "Direction", "Figure", "Line", "Move", "Pose",
    "PropPlace", "Setup", "Staging", "body", "compose", "figure_for", "frame_states", "read_action", "stage",
]
