"""The pose stage: MediaPipe's Tasks ``PoseLandmarker`` behind one adapter.

This is the only module that touches MediaPipe types. It turns a ``PoseLandmarkerResult`` into
posecoach's own :class:`~posecoach.landmarks.RawPose` (what the model said, kept for caching and
replay) and :class:`~posecoach.landmarks.PoseFrame` (aspect-correct coordinates, NaN where a
landmark is missing or not visible); those types live in ``landmarks.py`` so nothing downstream
imports this adapter.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from posecoach.errors import ModelError
from posecoach.inputs import check_input_file
from posecoach.landmarks import NUM_LANDMARKS, PoseFrame, RawPose
from posecoach.sources import silenced_native_stderr

MODEL_ENV_VAR = "POSECOACH_MODEL"
MODEL_FILENAME = "pose_landmarker_full.task"
MAX_MODEL_INPUT_SIDE = 960
"""Frames larger than this are downscaled before the model: it works at 256x256 internally, so
4K and 1080p frames only cost conversion time (landmarks are normalised, so nothing else changes)."""

MAX_MODEL_BYTES = 256 << 20
"""The official heavy model is ~30 MB; anything this large is not a pose landmarker bundle."""

GET_A_MODEL = (
    "Use the bundled models/pose_landmarker_full.task (rebuild it with 'python models/build_pose_task.py'), "
    "or download an official pose_landmarker_{lite,full,heavy}.task and pass --model PATH"
)


def default_model_path() -> Path:
    """``$POSECOACH_MODEL`` if set, else the bundle shipped in ``models/``."""
    override = os.environ.get(MODEL_ENV_VAR)
    if override:
        return Path(override)
    from importlib import resources

    try:
        bundled = resources.files("posecoach.models") / MODEL_FILENAME
        if bundled.is_file():
            return Path(str(bundled))
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "models" / MODEL_FILENAME


def model_input(image_bgr: np.ndarray) -> np.ndarray:
    """Frames larger than :data:`MAX_MODEL_INPUT_SIDE` downscaled, never to a side of 0 pixels (an 8000x2
    frame would otherwise become 960x0, which ``cv2.resize`` rejects with an assertion)."""
    import cv2

    height, width = image_bgr.shape[:2]
    scale = MAX_MODEL_INPUT_SIDE / max(height, width)
    if scale >= 1.0:
        return image_bgr
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA)


def check_model_file(path: Path) -> None:
    """Fail early, naming the path, before MediaPipe prints a C++ stack trace."""
    if not path.exists():
        raise ModelError(f"pose model not found: '{path}'. {GET_A_MODEL}")
    if path.is_dir():
        raise ModelError(f"pose model '{path}' is a folder, not a .task file. {GET_A_MODEL}")
    # /dev/zero, a FIFO or a huge sparse file would be read forever (or block) by the zip reader.
    check_input_file(path, what="pose model", max_bytes=MAX_MODEL_BYTES, error=ModelError)
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
            if bundle.testzip() is not None:
                raise zipfile.BadZipFile("member CRC mismatch")
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"pose model '{path}' is not a valid .task bundle ({exc}). {GET_A_MODEL}") from exc
    needed = {"pose_detector.tflite", "pose_landmarks_detector.tflite"}
    if not needed <= names:
        raise ModelError(
            f"'{path}' is not a pose landmarker bundle (it lacks {', '.join(sorted(needed - names))}). {GET_A_MODEL}"
        )


UNUSED_BY_THE_POSE_TASK = ("matplotlib", "matplotlib.pyplot", "sounddevice")
"""What ``import mediapipe`` imports for its drawing and audio helpers: ~0.4 s of its ~0.5 s, paid by every
run and by each chunk worker before its first frame, for code the pose landmarker never calls."""

_IMPORTING_MEDIAPIPE = threading.Lock()


class ImportedOnFirstUse(types.ModuleType):
    """Stands in for a module while MediaPipe is imported; whatever touches it later gets the real one."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def import_mediapipe() -> types.ModuleType:
    """``mediapipe``, imported without its drawing (matplotlib) and audio (sounddevice) dependencies.

    They are stood in for during the import only (and only if not imported already): MediaPipe's helper
    modules keep the stand-ins, which import the real module the first time anything uses them, and
    everyone importing them afterwards gets the real module.
    """
    with _IMPORTING_MEDIAPIPE:
        if "mediapipe" in sys.modules:
            return sys.modules["mediapipe"]
        stand_ins = {name: ImportedOnFirstUse(name) for name in UNUSED_BY_THE_POSE_TASK if name not in sys.modules}
        if "matplotlib" in stand_ins and "matplotlib.pyplot" in stand_ins:  # for "import matplotlib.pyplot as plt"
            stand_ins["matplotlib"].__dict__["pyplot"] = stand_ins["matplotlib.pyplot"]
        sys.modules.update(stand_ins)
        try:
            import mediapipe
        finally:
            for name, stand_in in stand_ins.items():
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]
        return mediapipe


HELD_SIGNALS = ("SIGINT", "SIGTERM")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then deliver them to the handlers they would have reached.

    MediaPipe runs every C call on a worker thread it starts on first use, and waits for it in the main
    thread. A ``KeyboardInterrupt`` raised in that wait while the model loads can leave the worker
    unregistered (the interpreter then hangs at exit, forever) and lets the worker's log lines through
    once stderr is restored. Loading and closing take about a second at most, so a signal waits for
    them and then acts as if it had arrived just after: exit 130 or 143, cleanly.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, _frame: object) -> None:
        held.append(signum)

    previous: dict[int, object] = {}
    try:
        for name in HELD_SIGNALS:
            signum = getattr(signal, name, None)
            if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, hold)
    except (ValueError, OSError):  # no signals here (an embedded interpreter)
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        for signum in dict.fromkeys(held):  # each held signal once, in the order it came
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)  # raises KeyboardInterrupt (or the CLI's Terminated)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


class PoseEstimator:
    """Wraps one ``PoseLandmarker`` in VIDEO mode; use it as a context manager.

    ``estimate_raw(image, t)`` accepts any float timestamp and turns it into the strictly
    increasing integer milliseconds that ``detect_for_video`` insists on.
    """

    def __init__(self, model_path: Path | None = None, *, verbose: bool = False,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        self.model_path = Path(model_path) if model_path else default_model_path()
        check_model_file(self.model_path)
        self._quiet = not verbose
        self._landmarker = None
        try:
            # A Ctrl-C while the model loads takes effect once it has loaded (see signals_held).
            with signals_held(), silenced_native_stderr(self._quiet):
                mp = import_mediapipe()
                from mediapipe.tasks.python import BaseOptions, vision

                self._mp = mp
                options = vision.PoseLandmarkerOptions(
                    base_options=BaseOptions(model_asset_path=str(self.model_path)),
                    running_mode=vision.RunningMode.VIDEO,
                    num_poses=1,
                    min_pose_detection_confidence=min_detection_confidence,
                    min_pose_presence_confidence=min_detection_confidence,
                    min_tracking_confidence=min_tracking_confidence,
                )
                try:
                    self._landmarker = vision.PoseLandmarker.create_from_options(options)
                except (RuntimeError, ValueError) as exc:
                    raise ModelError(
                        f"cannot load pose model '{self.model_path}': {_first_line(exc)}. {GET_A_MODEL}"
                    ) from exc
        except BaseException:
            self.close()  # an interrupted or failed load leaves no MediaPipe thread running
            raise
        self._last_ms = -1
        self._first_call = True

    def estimate_raw(self, image_bgr: np.ndarray, timestamp_s: float) -> RawPose | None:
        import cv2

        image_bgr = model_input(image_bgr)
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        mp_image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        timestamp_ms = max(round(timestamp_s * 1000.0), self._last_ms + 1)
        self._last_ms = timestamp_ms
        if self._landmarker is None:
            raise ModelError(f"the pose model '{self.model_path}' was already closed or failed earlier")
        # Inference prints absl lines now and then ("Logging before InitGoogle" on the first frame,
        # "Using NORM_RECT without IMAGE_DIMENSIONS" when tracking restarts): four dup2 calls per
        # frame cost microseconds against ~16 ms of inference.
        try:
            with silenced_native_stderr(self._quiet):
                result = self._landmarker.detect_for_video(mp_image, timestamp_ms)
        except (RuntimeError, ValueError) as exc:
            # A bundle with the right file names but the wrong networks loads fine and fails here.
            when = "on the first frame" if self._first_call else f"at {timestamp_s:.2f} s"
            self.close()
            raise ModelError(f"the pose model '{self.model_path}' failed {when} ({_first_line(exc)}): it is not a "
                             f"working pose landmarker bundle. {GET_A_MODEL}") from exc
        self._first_call = False
        if not result.pose_landmarks:
            return None
        return raw_from_result(result)

    def estimate(self, image_bgr: np.ndarray, timestamp_s: float) -> PoseFrame | None:
        raw = self.estimate_raw(image_bgr, timestamp_s)
        if raw is None:
            return None
        height, width = image_bgr.shape[:2]
        return PoseFrame.from_raw(raw, timestamp_s, width, height)

    def close(self) -> None:
        """Release the graph; raises no error of its own, because it runs in ``finally`` behind the real one.

        A Ctrl-C while it closes takes effect once it has closed (see :func:`signals_held`).
        """
        landmarker = getattr(self, "_landmarker", None)
        self._landmarker = None
        if landmarker is None:
            return
        try:
            with signals_held(), silenced_native_stderr(self._quiet):
                landmarker.close()
        except (RuntimeError, ValueError):
            # A graph that failed reports the failure again on close; its __del__ would retry at exit
            # and print "Exception ignored in ...". Mark it closed and free what it holds.
            _abandon(landmarker)

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_line(exc: BaseException) -> str:
    """MediaPipe's messages run to several lines of graph internals; the first says what failed."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0].rstrip(":") if lines else type(exc).__name__


def _abandon(landmarker: object) -> None:
    """Best effort after a failed close: the handle is unusable, so make ``__del__`` a no-op."""
    with contextlib.suppress(Exception):
        landmarker._handle = None  # type: ignore[attr-defined]
    for part in ("_dispatcher", "_lib"):
        with contextlib.suppress(Exception):
            getattr(landmarker, part).close()


def raw_from_result(result: object) -> RawPose:
    """Convert the first person of a ``PoseLandmarkerResult`` into arrays."""
    landmarks = result.pose_landmarks[0]  # type: ignore[attr-defined]
    normalized = np.array(
        [(lm.x, lm.y, lm.z, lm.visibility or 0.0, lm.presence or 0.0) for lm in landmarks], dtype=np.float32
    )
    world_landmarks = result.pose_world_landmarks  # type: ignore[attr-defined]
    if world_landmarks:
        world = np.array([(lm.x, lm.y, lm.z) for lm in world_landmarks[0]], dtype=np.float32)
    else:
        world = np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
    return RawPose(normalized, world)
