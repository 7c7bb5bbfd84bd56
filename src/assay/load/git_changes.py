"""What differs between a commit and the working tree, asked of git rather than found by walking the disk.

`assay plan --base` needs the specs at the base and in the working tree, and which of
them changed. Globbing ten thousand folders and hashing what they hold costs more than
the change itself; git already knows: the commit's listing (`git ls-tree`), the tracked
files that differ from it (`git diff --name-only`, which refreshes stat data itself), and
the untracked files under the spec folders (`git ls-files --others`, ignored ones included
because `assay check` sees them too). The two questions run as concurrent processes.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from assay.load.git_tree import GitError, GitTree, glob_pattern

_WILDCARDS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class WorktreeChanges:
    """Paths that differ between `commit` and the working tree: tracked files changed, added or deleted,
    and untracked files (under the folders the spec patterns can match)."""

    commit: str
    changed: frozenset[str]


def start_git(root: Path, *args: str) -> Callable[[], bytes]:
    """Start `git args` now; the returned function waits for it and gives its output (GitError on failure)."""
    process = subprocess.Popen(["git", *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def finish() -> bytes:
        out, err = process.communicate()
        if process.returncode != 0:
            raise GitError(err.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
        return out

    return finish


def start_worktree_changes(root: Path, commit: str, patterns: Iterable[str]) -> Callable[[], WorktreeChanges]:
    """Start asking git, in two concurrent processes, which paths differ from `commit`.

    The returned function waits for the answer; it raises GitError when git cannot say.
    """
    tracked = start_git(root, "diff", "--no-renames", "--name-only", "-z", commit, "--")
    untracked = start_git(root, "ls-files", "--others", "-z", "--", *sorted({literal_folder(p) for p in patterns}))

    def finish() -> WorktreeChanges:
        names = tracked() + b"\0" + untracked()
        return WorktreeChanges(commit, frozenset(name.decode("utf-8", "surrogateescape") for name in names.split(b"\0") if name))

    return finish


def literal_folder(pattern: str) -> str:
    """The folder a glob pattern cannot leave: its path before the first wildcard, cut at a slash (`.` for none)."""
    wildcard = _WILDCARDS.search(pattern)
    head = pattern if wildcard is None else pattern[: wildcard.start()]
    folder = head.rsplit("/", 1)[0] if "/" in head else ""
    return f":(literal){folder}" if folder else "."


def worktree_spec_paths(root: Path, base: GitTree, patterns: Iterable[str], changes: WorktreeChanges) -> list[str]:
    """The files matching `patterns` in the working tree, found from the base commit's listing and the changes.

    A path unchanged since the base is there as it was; a changed one is there when a file (or a link) is.
    Matching follows GitTree.glob, so both sides of a diff list files the same way.
    """
    regexes = [glob_pattern(pattern) for pattern in patterns]
    listed = {path for pattern in patterns for path in base.glob(pattern)}
    candidates = listed | {path for path in changes.changed if any(regex.match(path) for regex in regexes)}
    return sorted(path for path in candidates if path not in changes.changed or _is_file(root / path))


def _is_file(path: Path) -> bool:
    return os.path.islink(path) or os.path.isfile(path)
