"""The working tree's glob: what glob.glob finds (links, hidden names, folders), with one lstat per match."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from assay.load.tree import WorktreeTree

PATTERNS = [
    "models/*/model.yaml",
    "models/*/*.yaml",
    "models/.*/model.yaml",
    "models/[a-c]*/model.yaml",
    "models/?/model.yaml",
    "models/a/model.yaml",
    "missing/*/model.yaml",
    "models/*",
    "policies/*.yaml",
    "*/*/model.yaml",
    "models/file/model.yaml",
    "./models/*/model.yaml",
    "models/**/model.yaml",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for folder in ("a", "b", "c", ".hidden", "d"):
        (tmp_path / "models" / folder).mkdir(parents=True)
    for folder in ("a", "b", ".hidden"):
        (tmp_path / "models" / folder / "model.yaml").write_text("x: 1\n")
    (tmp_path / "models" / "b" / "other.yaml").write_text("x: 1\n")
    (tmp_path / "models" / "c" / "model.yaml").mkdir()  # a folder where a file is expected
    (tmp_path / "models" / "file").write_text("not a folder\n")
    (tmp_path / "elsewhere" / "e").mkdir(parents=True)
    (tmp_path / "elsewhere" / "e" / "model.yaml").write_text("x: 1\n")
    os.symlink(tmp_path / "elsewhere" / "e", tmp_path / "models" / "linked")  # a link to a folder
    os.symlink(tmp_path / "nowhere.yaml", tmp_path / "models" / "d" / "model.yaml")  # a dangling link
    os.symlink(tmp_path / "models" / "a", tmp_path / "models" / "a" / "loop")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.yaml").write_text("x: 1\n")
    (tmp_path / "policies" / ".h.yaml").write_text("x: 1\n")
    return tmp_path


def by_glob_module(root: Path, pattern: str) -> list[str]:
    found = glob.glob(pattern, root_dir=root, recursive=True)
    return sorted(path for path in found if not os.path.isdir(root / path) or os.path.islink(root / path))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_glob_finds_what_glob_glob_finds(tree: Path, pattern: str) -> None:
    worktree = WorktreeTree(tree)
    assert worktree.glob(pattern) == by_glob_module(tree, pattern)


def test_the_glob_keeps_the_lstat_of_what_it_found(tree: Path) -> None:
    worktree = WorktreeTree(tree)
    found = worktree.glob("models/*/model.yaml")
    assert "models/d/model.yaml" in found and "models/linked/model.yaml" in found
    for path in found:
        assert worktree.stats[path] == os.lstat(tree / path)
