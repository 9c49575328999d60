"""The live window and the keys: an OpenCV (Qt) window, or the same keys read from a terminal."""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import subprocess
import sys
from typing import Any

import cv2
import numpy as np

from posecoach.coach import Command

KEY_COMMANDS: dict[int, Command] = {
    ord(" "): Command.PAUSE, ord("r"): Command.RESET, ord("s"): Command.SWITCH, ord("n"): Command.NEXT,
    ord("q"): Command.QUIT, 27: Command.QUIT, ord("m"): Command.MUTE,
}
"""Space pause/resume, r reset the set, s switch side, n next set, q or Esc quit, m mute."""


FULLSCREEN_KEY = ord("f")
"""Toggles full screen: a window matter, the coach never hears of it."""
SCREEN_SHARE = 0.9
"""How much of the screen's width and height the window may take (the rest: panels, title bar)."""
DEFAULT_SCREEN = (1280, 720)
"""Assumed when the screen's size cannot be read."""


def fit_window(image_size: tuple[int, int], screen_size: tuple[int, int],
               share: float = SCREEN_SHARE) -> tuple[int, int]:
    """The window's (width, height) for an image: as large as fits in ``share`` of the screen, aspect
    kept, small sources scaled up (a 640x360 webcam is read from a mat 2 m away), portrait sources
    fitted to the screen's height (a phone video's legs and bottom banner stay on screen)."""
    width, height = image_size
    scale = min(share * screen_size[0] / width, share * screen_size[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def screen_size() -> tuple[int, int]:
    """The screen's size in pixels: from ``xdpyinfo`` on X11, else Tk, else :data:`DEFAULT_SCREEN`."""
    with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
        if os.environ.get("DISPLAY") and shutil.which("xdpyinfo"):
            text = subprocess.run(["xdpyinfo"], capture_output=True, text=True, timeout=3, check=True).stdout
            found = re.search(r"dimensions:\s+(\d+)x(\d+) pixels", text)
            if found:
                return int(found.group(1)), int(found.group(2))
    try:
        import tkinter

        root = tkinter.Tk()
        try:
            root.withdraw()
            return int(root.winfo_screenwidth()), int(root.winfo_screenheight())
        finally:
            root.destroy()
    except Exception:  # no Tk, no display: any failure only means the default size
        return DEFAULT_SCREEN


class WindowSink:
    """The OpenCV (Qt) window, and the keys pressed in it. Must live on the main thread.

    It opens as large as fits the screen (:func:`fit_window`), small sources scaled up and portrait
    ones fitted to the height; ``f`` toggles full screen.
    """

    def __init__(self, title: str = "posecoach", screen: tuple[int, int] | None = None) -> None:
        self.title = title
        self.screen = screen
        self.closed_by_user = False
        self.fullscreen = False
        self._shown = False
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)

    def show(self, image: np.ndarray) -> None:
        cv2.imshow(self.title, image)
        if not self._shown:
            height, width = image.shape[:2]
            cv2.resizeWindow(self.title, *fit_window((width, height), self.screen or screen_size()))
            self._shown = True

    def toggle_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen
        cv2.setWindowProperty(self.title, cv2.WND_PROP_FULLSCREEN,
                              cv2.WINDOW_FULLSCREEN if self.fullscreen else cv2.WINDOW_NORMAL)

    def poll(self) -> Command | None:
        key = cv2.waitKey(1)
        if self._shown and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            self.closed_by_user = True
            return Command.QUIT
        if key >= 0 and key & 0xFF == FULLSCREEN_KEY:
            self.toggle_fullscreen()
            return None
        return KEY_COMMANDS.get(key & 0xFF) if key >= 0 else None

    def close(self) -> None:
        with contextlib.suppress(cv2.error):
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)


class TerminalKeys:
    """The same keys read from a terminal when there is no window (over SSH); POSIX terminals only."""

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream or sys.stdin
        self._saved: Any = None
        try:
            import termios
            import tty

            fd = self._stream.fileno()
            if os.isatty(fd):
                self._saved = termios.tcgetattr(fd)
                tty.setcbreak(fd)
        except (ImportError, OSError, ValueError, AttributeError):
            self._saved = None

    @property
    def active(self) -> bool:
        return self._saved is not None

    def poll(self) -> Command | None:
        if not self.active:
            return None
        ready, _, _ = select.select([self._stream], [], [], 0)
        if not ready:
            return None
        char = os.read(self._stream.fileno(), 1)
        return KEY_COMMANDS.get(char[0]) if char else None

    def close(self) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self._stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None
