"""The pose stage: MediaPipe's Tasks ``PoseLandmarker`` behind one adapter.

This is the only module that touches MediaPipe types. It turns a ``PoseLandmarkerResult`` into
posecoach's own :class:`RawPose` (what the model said, kept for caching and replay) and
:class:`PoseFrame` (aspect-correct coordinates, NaN where a landmark is missing or not visible).
"""

from __future__ import annotations

import contextlib
import os
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posecoach.errors import ModelError
from posecoach.inputs import check_input_file
from posecoach.landmarks import NUM_LANDMARKS

MODEL_ENV_VAR = "POSECOACH_MODEL"
MODEL_FILENAME = "pose_landmarker_full.task"
VISIBILITY_CUT = 0.3
"""Landmarks whose visibility is below this are NaN in a :class:`PoseFrame`.

Low on purpose: MediaPipe reports visibility of lying bodies' far-side joints around 0.3-0.6
while their positions are still usable; the features weigh the near side anyway.
"""
MAX_MODEL_INPUT_SIDE = 960
"""Frames larger than this are downscaled before the model: it works at 256x256 internally, so
4K and 1080p frames only cost conversion time (landmarks are normalised, so nothing else changes)."""

MAX_MODEL_BYTES = 256 << 20
"""The official heavy model is ~30 MB; anything this large is not a pose landmarker bundle."""

GET_A_MODEL = (
    "Use the bundled models/pose_landmarker_full.task (rebuild it with 'python models/build_pose_task.py'), "
    "or download an official pose_landmarker_{lite,full,heavy}.task and pass --model PATH"
)


@dataclass(frozen=True)
class RawPose:
    """The model's answer for one frame, before any posecoach interpretation.

    ``normalized`` is (33, 5): x, y in [0, 1] of the image, z (scaled like x), visibility, presence.
    ``world`` is (33, 3) metres around the hips. ``None`` of this exists when no person was found.
    """

    normalized: np.ndarray
    world: np.ndarray


@dataclass(frozen=True)
class PoseFrame:
    """One person's landmarks at one instant, in posecoach's terms.

    ``xyzv`` is (33, 4): x and y in pixels of the (rotated) frame, so angles are true angles on a
    non-square image; z in the same scale as x; visibility in [0, 1]. Rows of landmarks below the
    visibility cut are NaN. ``world`` is (33, 3) metres, or None.
    """

    timestamp_s: float
    xyzv: np.ndarray = field(repr=False)
    world: np.ndarray | None = field(default=None, repr=False)
    image_size: tuple[int, int] = (0, 0)

    @classmethod
    def from_raw(cls, raw: RawPose, timestamp_s: float, width: int, height: int,
                 visibility_cut: float = VISIBILITY_CUT) -> PoseFrame:
        xyzv = np.empty((NUM_LANDMARKS, 4), dtype=np.float64)
        xyzv[:, 0] = raw.normalized[:, 0] * width
        xyzv[:, 1] = raw.normalized[:, 1] * height
        xyzv[:, 2] = raw.normalized[:, 2] * width
        xyzv[:, 3] = raw.normalized[:, 3]
        hidden = raw.normalized[:, 3] < visibility_cut
        xyzv[hidden, :3] = np.nan
        world = raw.world.astype(np.float64, copy=True)
        world[hidden] = np.nan
        return cls(timestamp_s, xyzv, world, (width, height))


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


@contextlib.contextmanager
def silenced_native_stderr(enabled: bool = True) -> Iterator[None]:
    """Hide the C++ log lines TFLite and absl print straight to file descriptor 2."""
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


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
        with silenced_native_stderr(self._quiet):
            import mediapipe as mp
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
        """Release the graph; never raises, because it runs in ``finally`` behind the real error."""
        landmarker = getattr(self, "_landmarker", None)
        self._landmarker = None
        if landmarker is None:
            return
        try:
            with silenced_native_stderr(self._quiet):
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
