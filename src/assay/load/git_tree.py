"""A FileTree over a git commit, read from git objects without a checkout.

One `git ls-tree` lists the commit's files; one long-lived `git cat-file --batch`
process reads every blob asked for, so reading a thousand files costs two processes,
not a thousand. A blob's size comes in the header `cat-file` writes before its bytes,
so an oversized blob is refused before any of it is read (and the reader restarted);
asking `ls-tree` for every size (`-l`) would cost more than the reads.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import IO

from assay.load.source import DEFAULT_LIMITS, Limits, SourceError, SourceFile, file_diagnostic


class GitError(Exception):
    """git failed, or the ref does not name a commit."""


def run_git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    done = subprocess.run(["git", *args], cwd=root, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed"
        raise GitError(message)
    return done.stdout


def resolve_commit(root: Path, ref: str) -> str:
    """The commit id `ref` names; GitError when it names none."""
    if ref.startswith("-"):
        raise GitError(f"'{ref}' is not a git ref")
    try:
        return run_git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except GitError:
        raise GitError(f"'{ref}' does not name a commit in {root}") from None


@lru_cache(maxsize=256)
def glob_pattern(pattern: str) -> re.Pattern[str]:
    """A regex for a glob where `*` stays within one folder and `**/` spans any number."""
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out) + r"\Z")


class CatFile:
    """One long-lived `git cat-file --batch` process: each object's header (its id, type and size) is read
    before its bytes, so an object over a size limit is refused unread (and the process replaced)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._process: subprocess.Popen[bytes] | None = None

    def read(self, name: str, max_bytes: int | None = None) -> tuple[str, str, int, bytes | None]:
        """(id, type, size, bytes) of the object `name` names; None for the bytes when over `max_bytes`.
        GitError when there is no such object."""
        if self._process is None:
            self._process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(name.encode() + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3 or not header[2].isdigit():
            raise GitError(f"git object {name} is not in {self.root}")
        oid, kind, size = header[0].decode(), header[1].decode(), int(header[2])
        if max_bytes is not None and size > max_bytes:
            self._process.kill()  # its stream holds the object; a new process is cheaper than draining it
            self.close()
            return oid, kind, size, None
        content = read_exactly(stdout, size)
        stdout.read(1)
        return oid, kind, size, content

    def close(self) -> None:
        if self._process is not None:
            process, self._process = self._process, None
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            process.wait()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class GitTree:
    """The files of one commit."""

    def __init__(self, root: Path, ref: str) -> None:
        self.root = root
        self.ref = ref
        self.commit = resolve_commit(root, ref)
        self._entries = self._list()  # path -> (mode, blob id)
        self._objects = CatFile(root)

    def _list(self) -> dict[str, tuple[str, str]]:
        entries = {}
        for record in run_git(self.root, "ls-tree", "-r", "-z", "--full-tree", self.commit).split(b"\0"):
            if not record:
                continue
            meta, path = record.split(b"\t", 1)
            mode, kind, oid = meta.split()
            if kind == b"blob":
                entries[path.decode("utf-8", "surrogateescape")] = (mode.decode(), oid.decode())
        return entries

    def glob(self, pattern: str) -> list[str]:
        regex = glob_pattern(pattern)
        return sorted(path for path in self._entries if regex.match(path))

    def exists(self, path: str) -> bool:
        return path in self._entries

    def blob_id(self, path: str) -> str:
        return self._entries[path][1]

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        if path not in self._entries:
            raise SourceError(file_diagnostic("Y012", path, f"{path} does not exist at {self.ref}"))
        mode, oid = self._entries[path]
        if mode == "120000":
            raise SourceError(file_diagnostic("Y010", path, f"refusing to read {path} at {self.ref}: it is a symbolic link"))
        found, _, size, content = self._objects.read(oid, limits.max_bytes)
        if found != oid:
            raise GitError(f"git cat-file gave {found} for {oid}")
        if content is None:
            raise SourceError(file_diagnostic("Y001", path, f"file is {size:,} bytes, over the limit of {limits.max_bytes:,} bytes"))
        return SourceFile(path, content)

    def close(self) -> None:
        self._objects.close()


def read_exactly(stream: IO[bytes], size: int) -> bytes:
    """Exactly `size` bytes from a `git cat-file --batch` stream."""
    chunks = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise GitError("git cat-file ended early")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
