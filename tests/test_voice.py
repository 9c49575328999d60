"""Voice: real speech rendered to WAV and measured, and the speaker queue's anti-babble rules."""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from posecoach.sinks.voice import (
    AudioUnavailable,
    CommandEngine,
    Speaker,
    find_speech_binary,
    render_to_wav,
    tone_samples,
    write_wav,
)

needs_espeak = pytest.mark.skipif(find_speech_binary() is None,
                                  reason="no espeak-ng/espeak on PATH (apt-get install espeak-ng)")


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        frames = wav.readframes(wav.getnframes())
        return np.frombuffer(frames, dtype=np.int16).astype(np.float64) / 32768.0, wav.getframerate()


def voiced_seconds(samples: np.ndarray, rate: int) -> float:
    """Seconds of 20 ms windows louder than -40 dBFS: speech, not silence or hiss."""
    window = int(0.02 * rate)
    usable = samples[: len(samples) // window * window].reshape(-1, window)
    rms = np.sqrt((usable ** 2).mean(axis=1))
    return float((rms > 0.01).sum() * 0.02)


@needs_espeak
@pytest.mark.parametrize(("text", "low_s", "high_s"), [
    ("seven", 0.2, 1.2),
    ("Keep your back on the floor: brace your belly and press your lower back down.", 2.5, 8.0),
], ids=["count", "form-cue"])
def test_utterances_render_to_speech_of_plausible_length(tmp_path, text, low_s, high_s):
    samples, rate = read_wav(render_to_wav(text, tmp_path / "say.wav"))
    duration = len(samples) / rate
    assert low_s <= duration <= high_s
    assert np.abs(samples).max() > 0.1
    assert voiced_seconds(samples, rate) >= 0.5 * low_s


@needs_espeak
def test_longer_text_takes_longer_to_say(tmp_path):
    short, _ = read_wav(render_to_wav("two", tmp_path / "a.wav"))
    long, _ = read_wav(render_to_wav("hold, three, two, one, done", tmp_path / "b.wav"))
    assert len(long) > 2 * len(short)


def test_tone_fallback_writes_audible_beeps(tmp_path):
    path = tmp_path / "tones.wav"
    write_wav(path, tone_samples("cue"))
    samples, rate = read_wav(path)
    assert 0.3 <= len(samples) / rate <= 0.5
    assert voiced_seconds(samples, rate) >= 0.25


class RecordingEngine:
    """Stands in for the sound card: records what would be said, takes ``seconds`` to say it."""

    name = "recording"

    def __init__(self, seconds: float = 0.0, fail: bool = False) -> None:
        self.seconds, self.fail = seconds, fail
        self.said: list[str] = []
        self.started = threading.Event()

    def speak(self, text: str, kind: str = "speech") -> None:
        self.started.set()
        if self.fail:
            raise AudioUnavailable("no audio output device")
        time.sleep(self.seconds)
        self.said.append(text)

    def render_to_wav(self, text: str, path: Path, kind: str = "speech") -> None:
        write_wav(path, tone_samples(kind))


def test_the_newest_count_replaces_a_pending_one_and_stale_prompts_are_dropped():
    engine = RecordingEngine(seconds=0.3)
    speaker = Speaker(engine, cooldown_s=0.0, max_age_s=0.5)
    speaker.say("Go", key="stage")
    engine.started.wait(1)
    for word in ("one", "two", "three"):
        speaker.say(word, key="count", priority=3)
    speaker.say("Keep your back down", key="cue:back", priority=1)
    speaker.close()
    assert engine.said == ["Go", "three"]


def test_each_utterance_is_dropped_after_its_own_lifetime():
    """The live coach passes each message's time on screen: a "Go" not said within a second is not said."""
    engine = RecordingEngine(seconds=0.3)
    speaker = Speaker(engine, cooldown_s=0.0, max_age_s=5.0)
    speaker.say("Keep your back down", key="cue")
    engine.started.wait(1)
    speaker.say("Go", key="stage", priority=3, max_age_s=0.1)
    speaker.say("Not counted", key="notice", priority=1, max_age_s=2.0)
    speaker.close()
    assert engine.said == ["Keep your back down", "Not counted"]


def test_same_key_is_not_repeated_within_repeat_s():
    engine = RecordingEngine()
    speaker = Speaker(engine, cooldown_s=0.0)
    assert speaker.say("Sit up straight", key="cue", repeat_s=10)
    assert not speaker.say("Sit up straight", key="cue", repeat_s=10)
    assert speaker.say("one", key="count")
    speaker.close()
    assert engine.said == ["Sit up straight", "one"]


def test_mute_silences_what_is_pending_and_what_comes_next():
    engine = RecordingEngine(seconds=0.2)
    speaker = Speaker(engine, cooldown_s=0.0)
    speaker.say("Go", key="stage")
    engine.started.wait(1)
    speaker.say("one", key="count")
    speaker.muted = True
    assert not speaker.say("two", key="count")
    speaker.close()
    assert engine.said == ["Go"]


def test_no_audio_device_gives_one_notice_then_text_only():
    notices: list[str] = []
    speaker = Speaker(RecordingEngine(fail=True), notify=notices.append)
    speaker.say("one")
    speaker._thread.join(2)
    assert not speaker.available
    assert not speaker.say("two")
    speaker.close()
    assert len(notices) == 1 and "text only" in notices[0]


@needs_espeak
def test_espeak_without_a_sound_card_is_reported_as_unavailable_or_plays():
    """On this machine there is no sound card: espeak-ng exits 0 but prints ALSA errors."""
    engine = CommandEngine(find_speech_binary())
    try:
        engine.speak("one")
    except AudioUnavailable as exc:
        assert engine.name in str(exc)
