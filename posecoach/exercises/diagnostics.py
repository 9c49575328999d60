"""What the engine saw, kept so that a clip where little or nothing counted can say why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Diagnostics:
    """Plain counts the engine's parts add to; the analysis turns them into notes."""

    frames_with_pose: int = 0
    frames_in_position: int = 0
    postures_seen: Counter[str] = field(default_factory=Counter)
    """Out of position: the body's position in plain words, frame by frame."""
    posture_misses: Counter[str] = field(default_factory=Counter)
    """Out of position: which of the posture's features were out of range."""
    end_on_frames: int = 0
    """Frames where the camera looked along the trunk (from the head or the feet)."""
    largest_movement: float = 0.0
    """The largest movement of the tracked signal away from rest while in position (signal units)."""
    hold_misses: Counter[str] = field(default_factory=Counter)
    """In position but not holding: which of the hold's features were out of range."""
    judged_rules: Counter[str] = field(default_factory=Counter)
    unjudged_rules: Counter[str] = field(default_factory=Counter)
    """How often a view-dependent check could, or could not, be judged: working frames for a form rule,
    finished movements for the partial-range check (compared within one check, never across)."""
