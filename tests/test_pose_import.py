"""MediaPipe is imported without the drawing and audio libraries the pose task never calls, and they
stay importable, whole, for everything else in the process.

Each case runs in a fresh interpreter, since this test process may have imported MediaPipe already.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_fresh(code: str) -> None:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_mediapipe_loads_without_matplotlib_and_sounddevice():
    run_fresh("""
import sys
from posecoach.pose import import_mediapipe
import_mediapipe()
from mediapipe.tasks.python import vision
assert vision.PoseLandmarker
for name in ("matplotlib", "matplotlib.pyplot", "sounddevice"):
    assert name not in sys.modules, name
""")


def test_matplotlib_imported_afterwards_is_the_real_one_for_posecoach_and_for_mediapipe():
    run_fresh("""
from posecoach.pose import import_mediapipe
import_mediapipe()
from mediapipe.tasks.python.vision import drawing_utils
import matplotlib.figure
import matplotlib.pyplot as plt
assert plt.__file__.endswith("pyplot.py") and matplotlib.figure.Figure
assert drawing_utils.plt.figure is plt.figure
""")


@pytest.mark.parametrize("already", ["matplotlib", "matplotlib.pyplot"])
def test_a_library_already_imported_is_left_as_it_is(already):
    run_fresh(f"""
import importlib, sys
before = importlib.import_module({already!r})
from posecoach.pose import import_mediapipe
import_mediapipe()
from mediapipe.tasks.python.vision import drawing_utils
assert sys.modules[{already!r}] is before
assert drawing_utils.plt.figure is importlib.import_module("matplotlib.pyplot").figure
""")
