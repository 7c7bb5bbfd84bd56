"""File trees: the working tree, or a git ref, behind one interface.

Downstream code asks a FileTree for paths and bytes and never learns which kind it
has, so "check the working tree" and "judge with the policies at origin/main" are
the same code (dbt-core's file-reader split).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from pathlib import Path
from typing import Protocol

from assay.load.source import DEFAULT_LIMITS, Limits, SourceFile, read_worktree_file


class FileTree(Protocol):
    """Read-only view of a repository's files by POSIX path relative to its root."""

    def glob(self, pattern: str) -> list[str]:
        """Repository-relative paths of files matching `pattern`, sorted."""
        ...

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        """The file's bytes; raises SourceError when it cannot or must not be read."""
        ...

    def exists(self, path: str) -> bool: ...


class WorktreeTree:
    """The repository's working tree on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # lstat results of the files the last globs found, by path: a caller about to stat
        # the same files (assay.check.scanner) may use them instead of asking again.
        self.stats: dict[str, os.stat_result] = {}

    def glob(self, pattern: str) -> list[str]:
        # glob.glob, not Path.glob: on Python 3.11 Path.glob drops dangling links, which would
        # let a broken spec go unchecked instead of being reported. A pattern of plain parts
        # (no **) is matched by `_scan`, which gives what glob.glob gives with one lstat per match.
        parts = pattern.split("/")
        prefix = os.path.join(self.root, "")
        if "**" in pattern or "" in parts:
            found = glob.glob(pattern, root_dir=self.root, recursive=True)
            return sorted(path for path in found if not _is_real_folder(prefix + path))
        matches = []
        for path, status in _scan(prefix, parts):
            if not stat.S_ISDIR(status.st_mode):
                self.stats[path] = status
                matches.append(path)
        return sorted(matches)

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        return read_worktree_file(self.root, path, limits)

    def exists(self, path: str) -> bool:
        return os.path.lexists(self.root / path)


def _scan(prefix: str, parts: list[str]) -> list[tuple[str, os.stat_result]]:
    """Paths matching the glob `parts` below `prefix` (a folder, with its trailing separator), with
    the lstat of each, exactly as glob.glob matches them: a wildcard part lists its folder (hidden
    names only for a part that starts with '.'), and keeps only folders (links to folders included)
    unless it is the last part; a literal part must exist (lexists)."""
    folders = [""]
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        found: list[str] = []
        for folder in folders:
            if not glob.has_magic(part):
                found.append(folder + part)
                continue
            try:
                with os.scandir(prefix + folder) as entries:
                    names = [entry.name for entry in entries if last or _is_folder(entry)]
            except OSError:
                continue
            if not part.startswith("."):
                names = [name for name in names if not name.startswith(".")]
            found.extend(folder + name for name in fnmatch.filter(names, part))
        if last:
            return [(path, result) for path in found if (result := _lstat(prefix + path)) is not None]
        folders = [path + "/" for path in found if glob.has_magic(part) or _lstat(prefix + path) is not None]
    return []


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _is_real_folder(path: str) -> bool:
    """A folder that is not a symbolic link (one lstat; a link to a folder is a file here, as before)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def matches_any(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    """fnmatch-style test of a repository-relative path against glob patterns."""
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)
