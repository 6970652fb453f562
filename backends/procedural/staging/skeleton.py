"""Forward kinematics: a figure's proportions and a pose -> joint positions in pixels.

Bone lengths are fractions of the figure's standing height ``u`` (the soles to the top of the
head). The figure is built facing right from its feet, rotated by the pose's ``tilt`` about them,
raised by ``lift``, mirrored when it faces left and placed with its feet at ``(x, ground)``.

Joints (``Body.joints``): head, neck, pelvis, and lead_/rear_ shoulder, elbow, wrist, hip, knee,
ankle, foot; lead is the side the figure faces (screen right when ``facing`` is +1). These are the
keypoints a pose-conditioned model wants, and what ``backends.procedural._figures`` draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from .figure import Figure
from .poses import Pose
from .trig import turn

__all__ = ["ARM", "FOREARM", "NECK", "PELVIS", "SHIN", "SPINE", "THIGH", "Body", "body"]

PELVIS = 0.345
"""Height of the pelvis above the soles when standing."""
SPINE, NECK = 0.43, 0.105
ARM, FOREARM = 0.165, 0.15
THIGH, SHIN = 0.16, 0.155

Point = tuple[float, float]


def _rot(x: float, y: float, degrees: float) -> Point:
    """Rotate (x, y) so that straight up turns toward +x by ``degrees`` (y grows downward)."""
    s, c = turn(degrees)
    return x * c - y * s, x * s + y * c


@dataclass(frozen=True)
class Body:
    joints: dict[str, Point]
    """Joint name -> pixel position."""
    u: float
    """Standing height in pixels."""
    facing: int
    """+1 facing right, -1 facing left."""
    torso: float
    """Screen angle of the torso from upright (degrees, clockwise)."""
    head: float
    """Screen angle of the head from upright (degrees, clockwise)."""

    def at(self, joint: str, dx: float, dy: float, frame: str = "torso") -> Point:
        """The pixel at (dx, dy) standing heights from ``joint``, in the torso's or head's frame
        (dx toward the side the figure faces, dy down the body)."""
        x, y = _rot(dx * self.facing, dy, self.torso if frame == "torso" else self.head)
        jx, jy = self.joints[joint]
        return jx + x * self.u, jy + y * self.u


def body(fig: Figure, pose: Pose, x: float, ground: float, unit: float, facing: int) -> Body:
    """Joints of ``fig`` in ``pose``, feet at (x, ground) pixels, ``unit`` pixels per average height."""
    g = fig.girth
    pelvis = (pose.dx, -PELVIS + pose.drop)
    up = turn(pose.spine)
    spine = (up[0], -up[1])  # toward the neck
    neck = (pelvis[0] + SPINE * spine[0], pelvis[1] + SPINE * spine[1])
    hd = turn(pose.spine + pose.neck)
    head = (neck[0] + NECK * hd[0], neck[1] - NECK * hd[1])
    side = (-spine[1], spine[0])  # the shoulder line, toward +x
    sw = 0.11 * g
    pts: dict[str, Point] = {"pelvis": pelvis, "neck": neck, "head": head}
    for name, sign, a1, a2 in (("lead", 1.0, pose.la1, pose.la2), ("rear", -1.0, pose.ra1, pose.ra2)):
        shoulder = (neck[0] + sign * sw * side[0] - 0.035 * spine[0], neck[1] + sign * sw * side[1] - 0.035 * spine[1])
        d1 = turn(pose.spine + a1)
        elbow = (shoulder[0] + ARM * d1[0], shoulder[1] + ARM * d1[1])
        d2 = turn(pose.spine + a1 + a2)
        pts[f"{name}_shoulder"], pts[f"{name}_elbow"] = shoulder, elbow
        pts[f"{name}_wrist"] = (elbow[0] + FOREARM * d2[0], elbow[1] + FOREARM * d2[1])
    for name, sign, l1, l2 in (("lead", 1.0, pose.ll1, pose.ll2), ("rear", -1.0, pose.rl1, pose.rl2)):
        hip = (pelvis[0] + sign * 0.055 * g, pelvis[1])
        d1 = turn(l1)
        knee = (hip[0] + THIGH * d1[0], hip[1] + THIGH * d1[1])
        d2 = turn(l1 + l2)
        ankle = (knee[0] + SHIN * d2[0], knee[1] + SHIN * d2[1])
        pts[f"{name}_hip"], pts[f"{name}_knee"], pts[f"{name}_ankle"] = hip, knee, ankle
        pts[f"{name}_foot"] = (ankle[0] + 0.03, ankle[1] + 0.018)
    u = unit * fig.height
    f = 1 if facing >= 0 else -1
    joints = {}
    for name, (px, py) in pts.items():
        rx, ry = _rot(px, py, pose.tilt)
        joints[name] = (x + f * rx * u, ground + (ry - pose.lift) * u)
    return Body(joints, u, f, f * (pose.tilt + pose.spine), f * (pose.tilt + pose.spine + pose.neck))
