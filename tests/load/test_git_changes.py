"""The working tree's specs and what changed since a commit, asked of git, agree with walking the disk."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assay.load.git_changes import literal_folder, start_worktree_changes, worktree_spec_paths
from assay.load.git_tree import GitTree
from assay.load.tree import WorktreeTree

PATTERNS = ("models/*/model.yaml", "teams/**/model.yaml")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args], cwd=root, check=True, capture_output=True)


def write(root: Path, path: str, text: str = "kind: Model\n") -> None:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    for name in ("a", "b", "c", "d"):
        write(tmp_path, f"models/{name}/model.yaml")
    write(tmp_path, "teams/risk/deep/e/model.yaml")
    write(tmp_path, "README.md", "docs\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def on_disk(root: Path) -> list[str]:
    tree = WorktreeTree(root)
    return sorted({path for pattern in PATTERNS for path in tree.glob(pattern)})


def test_specs_and_changes_match_the_disk_after_every_kind_of_change(repository: Path) -> None:
    write(repository, "models/a/model.yaml", "kind: Model\nchanged: true\n")  # modified
    (repository / "models" / "b" / "model.yaml").unlink()  # deleted
    write(repository, "models/new/model.yaml")  # untracked
    write(repository, "models/staged/model.yaml")
    git(repository, "add", "models/staged/model.yaml")  # added to the index
    (repository / ".gitignore").write_text("models/ignored/\n")
    write(repository, "models/ignored/model.yaml")  # ignored, but assay check sees it, so plan does too
    (repository / "models" / "c" / "model.yaml").unlink()
    (repository / "models" / "c" / "model.yaml").mkdir()  # a folder where a spec was
    write(repository, "teams/risk/f/model.yaml")
    write(repository, "README.md", "more docs\n")

    base = GitTree(repository, "HEAD")
    changes = start_worktree_changes(repository, base.commit, PATTERNS)()
    assert worktree_spec_paths(repository, base, PATTERNS, changes) == on_disk(repository)
    specs_changed = {path for path in changes.changed if path.endswith("model.yaml")}
    assert specs_changed == {
        "models/a/model.yaml",
        "models/b/model.yaml",
        "models/c/model.yaml",
        "models/new/model.yaml",
        "models/staged/model.yaml",
        "models/ignored/model.yaml",
        "teams/risk/f/model.yaml",
    }
    assert "models/d/model.yaml" not in changes.changed
    base.close()


def test_a_base_older_than_head_counts_later_commits_as_changes(repository: Path) -> None:
    base_commit = GitTree(repository, "HEAD").commit
    write(repository, "models/later/model.yaml")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "later")
    base = GitTree(repository, base_commit)
    changes = start_worktree_changes(repository, base.commit, PATTERNS)()
    assert "models/later/model.yaml" in changes.changed
    assert worktree_spec_paths(repository, base, PATTERNS, changes) == on_disk(repository)
    base.close()


@pytest.mark.parametrize(
    ("pattern", "folder"),
    [("models/*/model.yaml", ":(literal)models"), ("a/b/**/x.yaml", ":(literal)a/b"), ("*.yaml", "."), ("model.yaml", ".")],
)
def test_untracked_files_are_listed_under_the_folder_a_pattern_cannot_leave(pattern: str, folder: str) -> None:
    assert literal_folder(pattern) == folder
