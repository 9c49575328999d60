"""The suite passes on a fresh machine: no test relies on what it happens to find there.

``python -m pytest`` from a venv does not put the venv's ``bin`` on ``PATH``, so a test that runs a
bare ``posecoach`` passes only where one was installed earlier (and then tests that one, not this
checkout). The history database, routine files and current directory are the user's, not the
suite's: ``conftest.isolated_environment`` replaces them for every test.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

from posecoach.routines import user_routines_dir
from posecoach.sinks.history import default_db_path

TESTS = Path(__file__).resolve().parent
RUNNERS = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput",
           "system", "popen", "spawnlp", "execvp", "create_subprocess_exec", "create_subprocess_shell"}


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _runs_bare_posecoach(call: ast.Call) -> bool:
    """``subprocess.run(["posecoach", ...])``, ``Popen(("posecoach", ...))`` or ``os.system("posecoach ...")``."""
    if _called_name(call) not in RUNNERS or not call.args:
        return False
    first = call.args[0]
    if isinstance(first, ast.List | ast.Tuple) and first.elts:
        first = first.elts[0]
    if isinstance(first, ast.JoinedStr) and first.values:
        first = first.values[0]
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and (
        first.value.split(" ", 1)[0] == "posecoach")


def bare_posecoach_calls(source: str, filename: str = "<test>") -> list[int]:
    """Line numbers of the calls in ``source`` that run ``posecoach`` from ``PATH``."""
    tree = ast.parse(source, filename)
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and _runs_bare_posecoach(node)]


def test_no_test_runs_a_posecoach_found_on_path() -> None:
    offenders = [f"{path.relative_to(TESTS.parent)}:{line}"
                 for path in sorted(TESTS.rglob("*.py"))
                 for line in bare_posecoach_calls(path.read_text(), str(path))]
    assert offenders == [], ("these run the 'posecoach' found on PATH (absent on a fresh machine, or another "
                             f"version); use [sys.executable, '-m', 'posecoach', ...]: {offenders}")


@pytest.mark.parametrize(("source", "found"), [
    ('subprocess.run(["posecoach", "synth", "x"], check=True)', [1]),
    ("subprocess.Popen(('posecoach', 'live'))", [1]),
    ('os.system("posecoach exercises")', [1]),
    ('subprocess.check_output(f"posecoach analyze {clip}", shell=True)', [1]),
    ('subprocess.run([sys.executable, "-m", "posecoach", "synth"])', []),
    ('subprocess.run(["posecoach-helper"])', []),
    ('print("posecoach")', []),
])
def test_the_path_check_sees_every_form_of_a_bare_posecoach(source: str, found: list[int]) -> None:
    assert bare_posecoach_calls(source) == found


def test_each_test_has_its_own_home_history_and_current_directory(tmp_path: Path,
                                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    assert Path.cwd() == tmp_path
    home = Path.home()
    assert home == Path(os.environ["HOME"]) and not any(home.iterdir())
    for user_path in (default_db_path(), user_routines_dir()):
        assert not user_path.exists()
        assert user_path.is_relative_to(tmp_path_factory.getbasetemp()), user_path


def test_subprocesses_inherit_the_isolated_environment(tmp_path: Path) -> None:
    import subprocess

    code = "import pathlib; print(pathlib.Path.cwd()); print(pathlib.Path.home())"
    cwd, home = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True).stdout.splitlines()
    assert Path(cwd) == tmp_path and Path(home) == Path.home()
