"""Where the history file lives: the user's data folder, per platform, or ``POSECOACH_DB``."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from posecoach.errors import HistoryError

ENV_DB = "POSECOACH_DB"


def user_data_dir(env: Mapping[str, str] | None = None, platform: str | None = None,
                  home: Path | None = None) -> Path:
    """The platform's per-user data folder for posecoach (XDG on Linux, Application Support, APPDATA)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    home = _home(env, platform) if home is None else home
    if platform.startswith("win"):
        base = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(base) / "posecoach"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "posecoach"
    xdg = env.get("XDG_DATA_HOME", "")
    base_path = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base_path / "posecoach"


def _home(env: Mapping[str, str], platform: str) -> Path:
    """``$HOME``, or the account's home from the password database when HOME is empty or relative
    (an empty HOME made ``Path.home()`` answer ``/`` and the history land in ``/.local/share``)."""
    if platform.startswith("win"):
        return Path.home()
    home = env.get("HOME", "")
    if not os.path.isabs(home):
        try:
            import pwd

            home = pwd.getpwuid(os.getuid()).pw_dir
        except (ImportError, KeyError):
            home = ""
    if not os.path.isabs(home) or Path(home) == Path("/"):
        raise HistoryError(f"cannot tell where your home folder is (HOME is {env.get('HOME', '')!r}); set HOME, "
                           f"or pass --db or set {ENV_DB} to the history file")
    return Path(home)


def default_db_path(env: Mapping[str, str] | None = None, platform: str | None = None,
                    home: Path | None = None) -> Path:
    """``$POSECOACH_DB`` if set, else ``history.db`` in :func:`user_data_dir`."""
    env = os.environ if env is None else env
    if env.get(ENV_DB):
        return Path(env[ENV_DB]).expanduser()
    return user_data_dir(env, platform, home) / "history.db"
