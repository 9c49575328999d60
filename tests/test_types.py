"""The package type-checks, and its imports point downstream only.

The import rules are read from the source (every ``import`` statement, wherever it stands, type-only
ones included), so a lazy import inside a function cannot slip a sink above an orchestrator.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "posecoach"

ORCHESTRATORS = ("posecoach.live", "posecoach.analysis", "posecoach.routines", "posecoach.routine_runner",
                 "posecoach.capture", "posecoach.parallel", "posecoach.cli")
"""Modules that assemble and run sessions; stages and sinks sit below them."""

PURE = ("posecoach/landmarks.py", "posecoach/features.py", "posecoach/events.py", "posecoach/summary.py",
        "posecoach/coach.py", "posecoach/routines.py", "posecoach/exercises")
"""numpy and posecoach types only: no OpenCV, no MediaPipe, not even the MediaPipe adapter module."""


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute names (relative imports are not used in posecoach)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def files_under(*parts: str) -> list[Path]:
    found: list[Path] = []
    for part in parts:
        path = ROOT / part
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def _names(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def _is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


@pytest.mark.parametrize("path", files_under("posecoach/sinks"), ids=_names(files_under("posecoach/sinks")))
def test_no_sink_imports_an_orchestrator(path: Path) -> None:
    assert not {name for name in imported_modules(path) if _is_under(name, ORCHESTRATORS)}


@pytest.mark.parametrize("path", files_under(*PURE), ids=_names(files_under(*PURE)))
def test_the_pure_stages_import_neither_opencv_nor_mediapipe(path: Path) -> None:
    banned = ("cv2", "mediapipe", "posecoach.pose", *ORCHESTRATORS)
    assert not {name for name in imported_modules(path) if _is_under(name, banned)}


def test_only_the_adapter_imports_mediapipe() -> None:
    users = {str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py")
             if any(_is_under(name, ("mediapipe",)) for name in imported_modules(path))}
    assert users == {"posecoach/pose.py"}


def test_no_library_module_imports_the_cli() -> None:
    library = [path for path in PACKAGE.rglob("*.py") if "cli" not in path.relative_to(PACKAGE).parts
               and path.name != "__main__.py"]
    assert not [str(p.relative_to(ROOT)) for p in library
                if any(_is_under(name, ("posecoach.cli",)) for name in imported_modules(p))]


def test_the_coach_and_the_catalogue_load_without_opencv_or_mediapipe() -> None:
    code = ("import sys, posecoach.exercises, posecoach.coach, posecoach.routines, posecoach.summary; "
            "print('cv2' in sys.modules, 'mediapipe' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_mypy_finds_no_type_errors() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]' brings it)")
    result = subprocess.run([sys.executable, "-m", "mypy", "posecoach"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
