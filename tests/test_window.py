"""The live window's size: as large as fits the screen, small sources scaled up, portrait ones fitted
to the height, and ``f`` for full screen. The sizing is a pure function; the window itself is
checked against a stand-in for OpenCV's HighGUI, and for real under Xvfb when it is installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posecoach.sinks import window as window_module
from posecoach.sinks.window import WindowSink, fit_window

FITS = [
    # id, image, screen, window
    ("small-landscape-upscaled", (640, 360), (1600, 900), (1440, 810)),
    ("hd-on-a-laptop", (1920, 1080), (1366, 768), (1229, 691)),
    ("portrait-phone-fits-the-height", (1080, 1920), (1600, 900), (456, 810)),
    ("portrait-screen", (1280, 720), (1080, 1920), (972, 547)),
]


@pytest.mark.parametrize(("image", "screen", "expected"), [f[1:] for f in FITS], ids=[f[0] for f in FITS])
def test_the_window_fits_the_screen_keeping_the_aspect(image, screen, expected):
    size = fit_window(image, screen)
    assert size == expected
    assert size[0] <= 0.9 * screen[0] + 1 and size[1] <= 0.9 * screen[1] + 1
    assert size[0] / size[1] == pytest.approx(image[0] / image[1], rel=0.01)


class FakeHighGUI:
    """What WindowSink asks of cv2's HighGUI, recorded; ``keys`` are returned by waitKey in turn."""

    WINDOW_NORMAL, WINDOW_KEEPRATIO, WINDOW_GUI_NORMAL = 0, 0, 0
    WND_PROP_VISIBLE, WND_PROP_FULLSCREEN, WINDOW_FULLSCREEN = 4, 0, 1
    error = RuntimeError

    def __init__(self, keys=()) -> None:
        self.calls: list[tuple] = []
        self.keys = list(keys)

    def namedWindow(self, *args):
        self.calls.append(("namedWindow", *args))

    def imshow(self, *args):
        pass

    def resizeWindow(self, title, width, height):
        self.calls.append(("resizeWindow", width, height))

    def setWindowProperty(self, title, prop, value):
        self.calls.append(("setWindowProperty", prop, value))

    def getWindowProperty(self, title, prop):
        return 1.0

    def waitKey(self, delay):
        return self.keys.pop(0) if self.keys else -1


def test_a_small_source_opens_scaled_up_and_f_toggles_full_screen(monkeypatch):
    fake = FakeHighGUI(keys=[ord("f"), ord(" "), ord("f")])
    monkeypatch.setattr(window_module, "cv2", fake)
    window = WindowSink("t", screen=(1600, 900))
    window.show(np.zeros((360, 640, 3), np.uint8))
    assert ("resizeWindow", 1440, 810) in fake.calls
    assert window.poll() is None and window.fullscreen, "f is the window's own key, not a coach command"
    assert window.poll() is not None
    assert window.poll() is None and not window.fullscreen
    assert [c[2] for c in fake.calls if c[0] == "setWindowProperty"] == [fake.WINDOW_FULLSCREEN, fake.WINDOW_NORMAL]


PORTRAIT = """
import sys
import numpy as np
from posecoach.sinks.window import WindowSink
from tests.support.display import screenshot

image = np.full((1920, 1080, 3), 110, np.uint8)
image[-40:] = (0, 0, 255)  # a red bottom band: it must be on screen
window = WindowSink("portrait")
shown = False
for _ in range(20):  # screenshots until the window has been painted: under load the X server is late
    for _ in range(5):
        window.show(image)
        window.poll()
    shot = screenshot(sys.argv[1])
    if shown := bool((np.abs(shot.astype(int) - (0, 0, 255)) <= 40).all(axis=2).any()):
        break
window.close()
sys.exit(0 if shown else 1)
"""


def test_under_xvfb_a_portrait_source_fits_the_screen(xvfb_display):
    """A 1080x1920 phone video on a 1024x768 screen: the whole frame is on screen.

    In a process of its own, as ``posecoach live`` is: a window opened in a process where other
    tests' windows came and went was sometimes never mapped (a black screen)."""
    result = subprocess.run([sys.executable, "-c", PORTRAIT, xvfb_display], cwd=Path(__file__).parents[1],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the bottom of the portrait frame is off screen {result.stderr[-500:]}"
