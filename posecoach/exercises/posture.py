"""The posture gate: whether the body is in the exercise's position (lying on the back, standing...).

Frames outside the position never count, so getting into position, title cards and people walking
through are filtered here. The gate smooths each condition's feature, judges only what the camera
can measure, needs ``settle_s`` in position before counting starts and a clear second out of it
before counting stops.
"""

from __future__ import annotations

import math
from enum import Enum

from posecoach.exercises.definition import Posture
from posecoach.exercises.diagnostics import Diagnostics
from posecoach.features import Features, OneEuroFilter, describe_posture

LEAVE_POSITION_S = 1.0
"""Out of position only after this long: getting up takes longer, while MediaPipe misreading a joint at
the top of a fast rep (a crunch's knees behind the ball) lasts a few frames."""


class PostureChange(Enum):
    """What a frame changed about being in position."""

    NONE = "none"
    GLIMPSE_ENDED = "glimpse-ended"
    """The position was met for less than ``settle_s``: whatever it started is to be forgotten."""
    LEFT = "left"
    """In position until now, and clearly out of it for ``LEAVE_POSITION_S``."""


class PostureGate:
    """Follows one posture frame by frame."""

    def __init__(self, posture: Posture, diagnostics: Diagnostics) -> None:
        self.posture = posture
        self.diagnostics = diagnostics
        self.in_position = False
        self.holds_now = False
        """Whether this very frame is in the posture: being in position outlasts it by ``LEAVE_POSITION_S``."""
        self._filters: dict[str, OneEuroFilter] = {}
        self._ok_since: float | None = None
        self._bad_since: float | None = None

    @property
    def settling(self) -> bool:
        """In position for less than ``settle_s``: counting runs already, and is forgotten if it lapses."""
        return self._ok_since is not None

    def leave(self) -> None:
        """Out of position for a reason the gate does not see (nobody in view for a while)."""
        self.in_position = False

    def update(self, features: Features, t: float) -> PostureChange:
        posture = self.posture
        smoothed = {}
        conditions = posture.conditions if self.in_position else posture.every_condition
        for condition in posture.every_condition:
            name = condition.feature.replace("{side}", "both")
            smoother = self._filters.setdefault(name, OneEuroFilter(min_cutoff_hz=0.8))
            smoothed[condition.feature] = smoother(features.get(name, math.nan), t)
        # Judged on what the camera can see: a close-up that crops the knees still shows a trunk
        # lying back; a frame where nothing of the posture can be measured changes nothing.
        judged = [c.holds_for(smoothed[c.feature]) for c in conditions if math.isfinite(smoothed[c.feature])]
        if not judged and conditions:
            return PostureChange.NONE
        ok = all(judged)
        self.holds_now = ok
        if not ok and not self.in_position:
            self.diagnostics.postures_seen[describe_posture(features)] += 1
            self.diagnostics.posture_misses.update(
                c.feature for c in conditions
                if math.isfinite(smoothed[c.feature]) and not c.holds_for(smoothed[c.feature]))
        if ok:
            self._bad_since = None
            if self._ok_since is None:
                self._ok_since = t
            if not self.in_position and t - self._ok_since >= posture.settle_s:
                self.in_position = True
            return PostureChange.NONE
        change = PostureChange.GLIMPSE_ENDED if not self.in_position and self._ok_since is not None \
            else PostureChange.NONE
        self._ok_since = None
        if self._bad_since is None:
            self._bad_since = t
        if self.in_position and t - self._bad_since >= max(posture.settle_s, LEAVE_POSITION_S):
            self.in_position = False
            change = PostureChange.LEFT
        return change
