"""The project's own lint and type checks run as part of its tests."""

from __future__ import annotations

import subprocess
import sys

from support import REPO_ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint() -> None:
    done = _run("ruff", "check", "src", "tests", "bench", "tools")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format() -> None:
    done = _run("ruff", "format", "--check", "src", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict() -> None:
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
