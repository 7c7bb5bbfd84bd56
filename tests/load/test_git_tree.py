"""GitTree reads a commit's files through one `git cat-file --batch` process, refusing what it must not read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from assay.load import Limits, SourceError
from assay.load.git_tree import GitError, GitTree


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    (tmp_path / "models" / "a").mkdir(parents=True)
    (tmp_path / "models" / "a" / "model.yaml").write_text("kind: Model\n")
    (tmp_path / "big.yaml").write_bytes(b"x: " + b"y" * 5000 + b"\n")
    (tmp_path / "small.yaml").write_text("z: 1\n")
    os.symlink("small.yaml", tmp_path / "link.yaml")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_reads_files_of_the_commit_not_the_working_tree(repository: Path) -> None:
    (repository / "small.yaml").write_text("z: 2\n")
    tree = GitTree(repository, "HEAD")
    assert tree.read("small.yaml").content == b"z: 1\n"
    assert tree.glob("models/*/model.yaml") == ["models/a/model.yaml"]
    assert tree.exists("big.yaml") and not tree.exists("nope.yaml")
    tree.close()


def test_an_oversized_blob_is_refused_unread_and_later_reads_still_work(repository: Path) -> None:
    tree = GitTree(repository, "HEAD")
    with pytest.raises(SourceError) as refused:
        tree.read("big.yaml", Limits(max_bytes=1000))
    assert refused.value.diagnostic.code == "Y001"
    assert "5,004 bytes" in refused.value.diagnostic.message
    assert tree.read("small.yaml").content == b"z: 1\n"  # a new reader took over from the one holding the big blob
    assert tree.read("big.yaml").content.startswith(b"x: yyy")
    tree.close()


def test_links_and_missing_files_are_refused(repository: Path) -> None:
    tree = GitTree(repository, "HEAD")
    with pytest.raises(SourceError) as link:
        tree.read("link.yaml")
    assert link.value.diagnostic.code == "Y010"
    with pytest.raises(SourceError) as missing:
        tree.read("nope.yaml")
    assert missing.value.diagnostic.code == "Y012"
    tree.close()


def test_a_ref_that_names_no_commit_is_an_error(repository: Path) -> None:
    with pytest.raises(GitError, match="does not name a commit"):
        GitTree(repository, "no-such-branch")
    with pytest.raises(GitError, match="is not a git ref"):
        GitTree(repository, "--output=/tmp/x")
