"""Shared fixtures: the repository root, and running the real `assay` command in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import REPO_ROOT, RunAssay, run_assay_process


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def run_assay() -> RunAssay:
    """Run the installed assay CLI as a subprocess and return the completed process."""
    return run_assay_process
