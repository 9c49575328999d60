"""The live window and the keys: an OpenCV (Qt) window, or the same keys read from a terminal."""

from __future__ import annotations

import contextlib
import os
import select
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


class WindowSink:
    """The OpenCV (Qt) window, and the keys pressed in it. Must live on the main thread."""

    def __init__(self, title: str = "posecoach", max_width: int = 1280) -> None:
        self.title = title
        self.max_width = max_width
        self.closed_by_user = False
        self._shown = False
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)

    def show(self, image: np.ndarray) -> None:
        cv2.imshow(self.title, image)
        if not self._shown:
            height, width = image.shape[:2]
            scale = min(1.0, self.max_width / width)
            cv2.resizeWindow(self.title, round(width * scale), round(height * scale))
            self._shown = True

    def poll(self) -> Command | None:
        key = cv2.waitKey(1)
        if self._shown and cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            self.closed_by_user = True
            return Command.QUIT
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
