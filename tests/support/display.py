"""Screenshots of a private X display, for window tests under Xvfb."""

from __future__ import annotations

import subprocess

import cv2
import numpy as np


def screenshot(display: str) -> np.ndarray:
    png = subprocess.run(["import", "-display", display, "-window", "root", "png:-"], capture_output=True,
                         check=True, timeout=20).stdout
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
