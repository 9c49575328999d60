"""What the live window shows and the voice says: one message at a time, by priority and lifetime.

The coach posts every prompt here; the window draws :meth:`MessageBoard.showing` and the voice says
what :meth:`MessageBoard.post` hands back, so screen and voice never disagree and nothing lingers: a
cue like "Go" lasts a second, a form cue three, "Not counted" until the next rep counts. A message
of higher priority pre-empts the one showing; a lower one waits its turn and is dropped if its
lifetime runs out first. Pure: stream time in, no clock of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Kind(StrEnum):
    """What a message is; it picks the banner's colour and the voice's tone fallback."""

    COUNT = "count"
    COUNTDOWN = "countdown"
    DONE = "done"
    STAGE = "stage"
    CUE = "cue"
    SETUP = "setup"
    NOTICE = "notice"
    ALERT = "alert"
    """The session itself is in trouble (too slow to count): also printed when there is no window."""


class Priority(IntEnum):
    NOTICE = 1
    """Setup hints and notices ("Not counted: ...", "Muted"): shown when nothing more urgent is."""
    CUE = 2
    """Form cues: the person should change something now."""
    STAGE = 3
    """The plan moves on: "Go", "Switch sides", "Set 1 done"."""
    COUNT = 4
    """Counts and countdown numbers: late they are noise, so they go first."""


LIFETIME_S: dict[Kind, float] = {
    Kind.COUNT: 1.5, Kind.COUNTDOWN: 1.0, Kind.DONE: 1.5, Kind.STAGE: 2.0, Kind.CUE: 3.0, Kind.SETUP: 3.0,
    Kind.NOTICE: 4.0, Kind.ALERT: 3.0,
}
"""Seconds a message stays on screen (and may still be said) after it was posted."""
PRIORITY: dict[Kind, Priority] = {
    Kind.COUNT: Priority.COUNT, Kind.COUNTDOWN: Priority.COUNT, Kind.DONE: Priority.COUNT,
    Kind.STAGE: Priority.STAGE, Kind.CUE: Priority.CUE, Kind.SETUP: Priority.NOTICE, Kind.NOTICE: Priority.NOTICE,
    Kind.ALERT: Priority.CUE,
}


@dataclass(frozen=True)
class Message:
    """One prompt. ``shown`` False: said only (a count: the counter already shows it); ``spoken``
    False: shown only. ``repeat_s``: the same text under the same key is not said again sooner."""

    text: str
    kind: Kind
    key: str
    t_s: float
    lifetime_s: float
    priority: int
    shown: bool = True
    spoken: bool = True
    repeat_s: float = 0.0

    @classmethod
    def of(cls, text: str, kind: Kind, t_s: float, *, key: str | None = None, lifetime_s: float | None = None,
           shown: bool = True, spoken: bool = True, repeat_s: float = 0.0) -> Message:
        """A message with its kind's usual priority and lifetime."""
        return cls(text, kind, key or kind.value, t_s, LIFETIME_S[kind] if lifetime_s is None else lifetime_s,
                   PRIORITY[kind], shown, spoken, repeat_s)

    @property
    def expires_s(self) -> float:
        return self.t_s + self.lifetime_s

    def alive(self, t: float) -> bool:
        return self.t_s <= t < self.expires_s


def countdown_number(remaining_s: float) -> int:
    """The whole second a countdown shows and says: 2.4 s left reads "3" until it is under 2 s.

    Rounding instead (as the banner did) made it read "2" while the voice and the ring said "three".
    """
    return max(0, math.ceil(remaining_s - 1e-9))


class MessageBoard:
    """The messages still alive, one per key; the newest message of the highest priority shows."""

    def __init__(self) -> None:
        self._live: dict[str, Message] = {}
        self._said: dict[str, tuple[str, float]] = {}

    def post(self, message: Message) -> Message | None:
        """Put ``message`` up (replacing any under its key); returns it when it should be said now."""
        if message.shown:
            self._live[message.key] = message
        if not message.spoken:
            return None
        said = self._said.get(message.key)
        if message.repeat_s and said is not None and said[0] == message.text \
                and message.t_s - said[1] < message.repeat_s:
            return None
        self._said[message.key] = (message.text, message.t_s)
        return message

    def clear(self, *keys: str) -> None:
        """Take messages down before their time (a rejection once the next rep counts)."""
        for key in keys:
            self._live.pop(key, None)

    def showing(self, t: float) -> Message | None:
        """The one message on screen at stream time ``t``, or None."""
        self._live = {key: m for key, m in self._live.items() if t < m.expires_s}
        alive = [m for m in self._live.values() if m.alive(t)]
        return max(alive, key=lambda m: (m.priority, m.t_s)) if alive else None
