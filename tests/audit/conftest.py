"""The audited repository, built once per session (support.build_audited_history), and a copy to change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import AuditedHistory, build_audited_history


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> AuditedHistory:
    root = tmp_path_factory.mktemp("audited")
    keys = tmp_path_factory.mktemp("audit-keys")
    return AuditedHistory(root, keys, build_audited_history(root, keys))


@pytest.fixture
def repo(history: AuditedHistory, tmp_path: Path) -> Path:
    """A copy of the audited repository to change in one test."""
    copy = tmp_path / "repo"
    shutil.copytree(history.root, copy, symlinks=True)
    return copy
