"""Knowing a working-tree file's git blob id without reading it: a stat index, like git's.

Reading 10,000 specs to hash them would cost more than the rest of a warm check, so
the index remembers each file's blob id with its stat signature (device, inode, size,
mtime, ctime). A file whose signature is unchanged, whose folders are real folders (no
symbolic link can have moved it), and which had not been modified in the two seconds
before it was last hashed (a change within the timestamp granularity could hide) keeps
its blob id; any other file is read and hashed.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Mapping
from typing import Any

from assay.load import Limits, SourceFile
from assay.load.tree import FileTree, WorktreeTree

SETTLE_NS = 2_000_000_000

Signature = tuple[int, int, int, int, int]


def rewrite_threshold(files: int) -> int:
    """How many stale records a snapshot or index of `files` files may hold before it is rewritten."""
    return max(16, files // 100)


class FileScanner:
    """Reads files of a tree, and knows blob ids of unchanged working-tree files without reading them."""

    def __init__(self, tree: FileTree, index: Any = None, *, bulk: bool = False, stats: Mapping[str, os.stat_result] | None = None) -> None:
        """`stats` are lstat results the caller took of these files moments ago (WorktreeTree.stats after its glob):
        used once each instead of asking again (a change since is caught by the next run, as one just after a stat)."""
        self.tree = tree
        self.root = str(tree.root) if isinstance(tree, WorktreeTree) else None
        self._prefix = os.path.join(self.root, "") if self.root is not None else ""
        self._globbed = dict(stats or {})
        self.started = time.time_ns()
        files = index.get("files") if isinstance(index, dict) else None
        self.old: Mapping[str, Any] = files if isinstance(files, dict) else {}
        self.new: dict[str, list[Any]] = {}
        self._signatures: dict[str, Signature | None] = {}
        self._real_folders: dict[str, bool] = {}  # folder -> it is a folder, not a link
        self._real_chains: dict[str, bool] = {}  # folder -> it and every folder above it are
        self._listed: set[str] = set()
        self._bulk = bulk  # many files: list each folder once instead of a stat per subfolder

    def signature(self, path: str) -> Signature | None:
        """The file's stat signature when it and every folder above it (below the root) are real, else None."""
        if path in self._signatures:
            return self._signatures[path]
        self._signatures[path] = found = self._lstat(path)
        return found

    def _lstat(self, path: str) -> Signature | None:
        if self.root is None:
            return None
        folder = path.rpartition("/")[0]
        if folder and not self._real_path(folder):
            return None
        if path.rpartition("/")[2] in ("", ".", ".."):
            return None
        found = self._globbed.pop(path, None)  # the tree's glob just took it
        if found is None:
            try:
                found = os.lstat(self._prefix + path)
            except OSError:
                return None
        if not stat.S_ISREG(found.st_mode) or found.st_ino == 0:
            return None
        return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)

    def _real_path(self, folder: str) -> bool:
        """Whether `folder` (a path below the root) and every folder above it are real folders; remembered."""
        known = self._real_chains.get(folder)
        if known is None:
            parent, _, name = folder.rpartition("/")
            known = name not in ("", ".", "..") and (not parent or self._real_path(parent)) and self._real_folder(folder)
            self._real_chains[folder] = known
        return known

    def _real_folder(self, folder: str) -> bool:
        """Whether `folder` is a folder and not a symbolic link (or anything else)."""
        real = self._real_folders.get(folder)
        if real is not None:
            return real
        assert self.root is not None
        parent = folder.rpartition("/")[0]
        if self._bulk and parent not in self._listed:
            self._listed.add(parent)
            try:
                with os.scandir(self._prefix + parent) as entries:
                    for entry in entries:
                        self._real_folders[f"{parent}/{entry.name}" if parent else entry.name] = entry.is_dir(follow_symlinks=False)
            except OSError:
                pass
            real = self._real_folders.get(folder)
        if real is None:
            try:
                real = stat.S_ISDIR(os.lstat(self._prefix + folder).st_mode)
            except OSError:
                real = False
        self._real_folders[folder] = real
        return real

    def known_blob(self, path: str) -> str | None:
        """The blob id the index holds for `path`, when its stat signature is unchanged."""
        signature = self.signature(path)
        record = self.old.get(path)
        if signature is None or not isinstance(record, list) or len(record) != 6 or tuple(record[1:]) != signature:
            return None
        return record[0] if isinstance(record[0], str) else None

    def read(self, path: str, limits: Limits) -> SourceFile:
        """The file's bytes. A plain file under real folders is inside the repository: read it directly;
        anything else goes through the tree, which refuses what must not be read."""
        if self.signature(path) is not None and self.root is not None:
            try:
                with open(self._prefix + path, "rb") as stream:
                    content = stream.read(limits.max_bytes + 1)
            except OSError:
                content = None
            if content is not None and len(content) <= limits.max_bytes:
                return SourceFile(path, content)
        return self.tree.read(path, limits)

    def blob(self, path: str, limits: Limits) -> str:
        """The blob id of `path`, from the index or by reading it; SourceError when unreadable."""
        known = self.known_blob(path)
        if known is None:
            known = self.read(path, limits).blob_id
        self.remember(path, known)
        return known

    def remember(self, path: str, blob_id: str) -> None:
        """Index `path` as `blob_id`, unless it changed too recently for its signature to prove it unchanged later."""
        signature = self.signature(path)
        settled = self.started - SETTLE_NS
        if signature is not None and signature[3] < settled and signature[4] < settled:
            self.new[path] = [blob_id, *signature]

    def index(self, complete: bool) -> dict[str, Any] | None:
        """The index to store, or None when the stored one is good enough.

        This run's files, plus (unless this run saw every file) the old entries of the
        others. A few stale entries only cost reading those files again, so the index is
        rewritten only when many changed.
        """
        files = dict(self.new) if complete else {**self.old, **self.new}
        stale = sum(1 for path, record in files.items() if self.old.get(path) != record) + len(self.old.keys() - files.keys())
        return {"files": files} if stale > rewrite_threshold(len(files)) or (stale and not self.old) else None
