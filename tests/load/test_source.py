"""Reading repository files: size limits and links that leave the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.load import Limits, SourceError, read_worktree_file
from assay.load.tree import WorktreeTree


def test_reads_a_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n")
    assert read_worktree_file(tmp_path, "a.yaml").content == b"a: 1\n"


def test_refuses_files_over_the_limit(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"#" * 2048)
    with pytest.raises(SourceError) as raised:
        read_worktree_file(tmp_path, "big.yaml", Limits(max_bytes=1024))
    assert raised.value.diagnostic.code == "Y001"


def test_refuses_links_that_leave_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: 1\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.yaml").symlink_to(outside)
    with pytest.raises(SourceError) as raised:
        read_worktree_file(repo, "link.yaml")
    assert raised.value.diagnostic.code == "Y010"


def test_links_inside_the_repository_are_read(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text("a: 1\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yaml")
    assert read_worktree_file(tmp_path, "link.yaml").content == b"a: 1\n"


def test_missing_file_is_a_diagnostic(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as raised:
        read_worktree_file(tmp_path, "absent.yaml")
    assert raised.value.diagnostic.code == "Y012"


def test_worktree_glob_is_sorted_and_relative(tmp_path: Path) -> None:
    for name in ("models/b/model.yaml", "models/a/model.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    assert WorktreeTree(tmp_path).glob("models/*/model.yaml") == ["models/a/model.yaml", "models/b/model.yaml"]
