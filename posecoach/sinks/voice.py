"""Voice sink: says counts, hold countdowns and form cues, off the video thread, one at a time.

Speaking takes longer than a frame (half a second for "seven"), so utterances go through a small
queue to a speaker thread. The queue is opinionated so the coach never babbles: an utterance with
the same ``key`` as a pending one replaces it (the newest count wins), the highest priority goes
first, one that waited longer than its ``max_age_s`` is dropped (a count said three seconds late is
noise; the live coach passes each message's lifetime on screen, so the voice never says what the
screen has already taken down), the same key is not repeated within its ``repeat_s``, and there
is a short gap between utterances.

Engines, best first: ``espeak-ng``/``espeak`` (offline on Linux, also packaged for macOS and
Windows), macOS's ``say``, then short tones through ``sounddevice`` when no speech engine exists
(said once). With no audio device at all the sink goes quiet after one notice: everything it would
say is on the screen and the console anyway.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from posecoach.terminal import echo

SAMPLE_RATE = 22050
SPEECH_WPM = 165
"""A little faster than espeak's default 175 is too fast to follow while exercising; 165 is clear."""
AUDIO_FAILURE_MARKERS = (b"Unknown PCM", b"cannot find card", b"audio_open", b"Connection refused",
                         b"error: No such file")
"""What espeak-ng prints (while still exiting 0) when it has no sound device to play on."""


class AudioUnavailable(RuntimeError):
    """The engine exists but there is no device to play on."""


class SpeechEngine(Protocol):
    name: str

    def speak(self, text: str, kind: str = "speech") -> None:
        """Say ``text`` now and return when done; raise :class:`AudioUnavailable` if it cannot play."""

    def render_to_wav(self, text: str, path: Path, kind: str = "speech") -> None:
        """Write what :meth:`speak` would play to a WAV file."""


class CommandEngine:
    """A speech synthesiser run as a subprocess (``espeak-ng``, ``espeak``, macOS ``say``)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.name = Path(binary).name

    def _base(self) -> list[str]:
        if self.name == "say":
            return [self.binary, "-r", str(SPEECH_WPM)]
        return [self.binary, "-s", str(SPEECH_WPM)]

    def speak(self, text: str, kind: str = "speech") -> None:
        try:
            done = subprocess.run([*self._base(), text], capture_output=True, timeout=15, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AudioUnavailable(f"{self.name} failed: {exc}") from exc
        if done.returncode != 0 or any(marker in done.stderr for marker in AUDIO_FAILURE_MARKERS):
            detail = done.stderr.decode(errors="replace").strip().splitlines()
            raise AudioUnavailable(f"{self.name} cannot play sound ({detail[-1] if detail else done.returncode})")

    def render_to_wav(self, text: str, path: Path, kind: str = "speech") -> None:
        if self.name == "say":
            command = [*self._base(), "-o", str(path), f"--data-format=LEI16@{SAMPLE_RATE}", text]
        else:
            command = [*self._base(), "-w", str(path), text]
        subprocess.run(command, capture_output=True, timeout=30, check=True)


TONES: dict[str, tuple[tuple[float, float], ...]] = {
    "count": ((880.0, 0.12),),
    "countdown": ((660.0, 0.08),),
    "done": ((660.0, 0.1), (990.0, 0.18)),
    "cue": ((330.0, 0.15), (0.0, 0.08), (330.0, 0.15)),
    "stage": ((523.0, 0.12), (784.0, 0.12)),
    "speech": ((523.0, 0.1),),
}
"""Frequency (Hz, 0 for silence) and duration (s) of the beeps standing in for each kind of utterance."""


def tone_samples(kind: str) -> np.ndarray:
    """The int16 mono samples of ``kind``'s beeps, with 5 ms fades so they don't click."""
    parts = []
    fade = int(0.005 * SAMPLE_RATE)
    for frequency, seconds in TONES.get(kind, TONES["speech"]):
        n = int(seconds * SAMPLE_RATE)
        t = np.arange(n) / SAMPLE_RATE
        wave_part = 0.5 * np.sin(2 * np.pi * frequency * t) if frequency else np.zeros(n)
        envelope = np.ones(n)
        envelope[:fade] = np.linspace(0, 1, fade)
        envelope[-fade:] = np.linspace(1, 0, fade)
        parts.append(wave_part * envelope)
    return (np.concatenate(parts) * 32767).astype(np.int16)


class ToneEngine:
    """Short beeps through ``sounddevice`` when no speech synthesiser is installed."""

    name = "tones"

    def __init__(self) -> None:
        try:
            import sounddevice
        except (ImportError, OSError) as exc:  # the wheel imports fine only where PortAudio exists
            raise AudioUnavailable(f"sounddevice is unusable ({exc})") from exc
        try:
            sounddevice.query_devices(kind="output")
        except (sounddevice.PortAudioError, ValueError) as exc:
            raise AudioUnavailable(f"no audio output device ({exc})") from exc
        self._sd = sounddevice

    def speak(self, text: str, kind: str = "speech") -> None:
        try:
            self._sd.play(tone_samples(kind), SAMPLE_RATE, blocking=True)
        except self._sd.PortAudioError as exc:
            raise AudioUnavailable(f"cannot play tones ({exc})") from exc

    def render_to_wav(self, text: str, path: Path, kind: str = "speech") -> None:
        write_wav(path, tone_samples(kind))


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype(np.int16).tobytes())


def find_speech_binary() -> str | None:
    """The first offline speech synthesiser on PATH, or None."""
    candidates = ["espeak-ng", "espeak"] + (["say"] if sys.platform == "darwin" else [])
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    return None


def find_engine() -> tuple[SpeechEngine | None, str | None]:
    """The best engine here, and a one-line notice when it is a fallback (or there is none)."""
    binary = find_speech_binary()
    if binary:
        return CommandEngine(binary), None
    try:
        return ToneEngine(), "voice: no speech engine found (install espeak-ng); using short tones instead"
    except AudioUnavailable as exc:
        return None, f"voice: no speech engine and {exc}; coaching in text only"


def render_to_wav(text: str, path: str | Path, kind: str = "speech") -> Path:
    """Synthesise ``text`` to a WAV file with the best available engine (tones if no speech engine)."""
    path = Path(path)
    binary = find_speech_binary()
    if binary:
        CommandEngine(binary).render_to_wav(text, path, kind)
    else:
        write_wav(path, tone_samples(kind))
    return path


@dataclass(frozen=True)
class Utterance:
    text: str
    key: str
    kind: str
    priority: int
    queued_at: float
    max_age_s: float


class Speaker:
    """The speaker thread with its queue; ``say`` never blocks the caller.

    ``engine=None`` picks one with :func:`find_engine`; pass an engine object to use another (tests
    pass a recording one). ``notify`` receives the one-line notices (fallback, no audio).
    """

    def __init__(self, engine: SpeechEngine | None = None, *, cooldown_s: float = 0.25, max_age_s: float = 2.5,
                 clock: Callable[[], float] = time.monotonic,
                 notify: Callable[[str], None] | None = None) -> None:
        self._notify = notify or (lambda message: echo(message, err=True))
        if engine is None:
            engine, notice = find_engine()
            if notice:
                self._notify(notice)
        self.engine = engine
        self.cooldown_s = cooldown_s
        self.max_age_s = max_age_s
        self.muted = False
        self.spoken: list[str] = []
        self._clock = clock
        self._pending: list[Utterance] = []
        self._last_said: dict[str, float] = {}
        self._cv = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="posecoach-voice", daemon=True)
        if self.engine is not None:
            self._thread.start()

    @property
    def available(self) -> bool:
        return self.engine is not None

    def say(self, text: str, *, key: str | None = None, kind: str = "speech", priority: int = 1,
            repeat_s: float = 0.0, max_age_s: float | None = None) -> bool:
        """Queue ``text``; False when it was skipped (muted, no engine, said under ``repeat_s`` ago).

        ``max_age_s`` (default the speaker's): dropped if it cannot start within that long."""
        key = key or text
        now = self._clock()
        if self.muted or self.engine is None or self._closing:
            return False
        with self._cv:
            last = self._last_said.get(key)
            if repeat_s and last is not None and now - last < repeat_s:
                return False
            self._last_said[key] = now
            self._pending = [u for u in self._pending if u.key != key]
            self._pending.append(Utterance(text, key, kind, priority, now,
                                           self.max_age_s if max_age_s is None else max_age_s))
            self._cv.notify()
        return True

    def _next(self) -> Utterance | None:
        with self._cv:
            while True:
                now = self._clock()
                self._pending = [u for u in self._pending if now - u.queued_at <= u.max_age_s]
                if self._pending:
                    best = max(self._pending, key=lambda u: (u.priority, -u.queued_at))
                    self._pending.remove(best)
                    return best
                if self._closing:
                    return None
                self._cv.wait(0.2)

    def _run(self) -> None:
        while True:
            utterance = self._next()
            if utterance is None or self.engine is None:
                return
            if self.muted:
                continue
            try:
                self.engine.speak(utterance.text, utterance.kind)
                self.spoken.append(utterance.text)
            except AudioUnavailable as exc:
                self._notify(f"voice: {exc}; coaching in text only")
                self.engine = None
                return
            time.sleep(self.cooldown_s)

    def close(self, timeout_s: float = 3.0) -> None:
        """Say what is still queued (within ``timeout_s``), then stop the thread."""
        with self._cv:
            self._closing = True
            self._cv.notify()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
