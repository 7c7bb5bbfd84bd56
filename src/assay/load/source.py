"""Reading files from a repository, refusing what must not be read.

Everything downstream sees a SourceFile: a repository-relative path and its bytes.
Where the bytes came from (the working tree, or a git object at some ref) is the
business of the FileTree that produced it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from assay.diagnostics import Diagnostic, Location, Severity


@dataclass(frozen=True)
class Limits:
    """Hard limits on what the loader accepts; hostile input is refused, not parsed."""

    max_bytes: int = 1024 * 1024
    max_depth: int = 64
    max_aliases: int = 100
    max_nodes: int = 200_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class SourceFile:
    """A file's repository-relative POSIX path and exact bytes."""

    path: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def blob_id(self) -> str:
        """The id git gives these bytes as a blob, computed without git."""
        header = b"blob %d\0" % len(self.content)
        return hashlib.sha1(header + self.content, usedforsecurity=False).hexdigest()


class SourceError(Exception):
    """A file that could not be read; carries the diagnostic to report."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def file_diagnostic(code: str, path: str, message: str, hint: str = "") -> Diagnostic:
    """A diagnostic about a whole file, with no line to point at."""
    return Diagnostic(code, Severity.ERROR, message, Location(path), hint)


def read_worktree_file(root: Path, relpath: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
    """Read `relpath` under `root`, refusing links that leave it and files over the size limit."""
    root_real = Path(os.path.realpath(root))
    candidate = root / relpath
    real = Path(os.path.realpath(candidate))
    if real != root_real and root_real not in real.parents:
        raise SourceError(
            file_diagnostic(
                "Y010",
                relpath,
                f"refusing to read {relpath}: it resolves to {real}, outside the repository",
                "a spec must be a file inside the repository; replace the symbolic link with the file",
            )
        )
    try:
        size = real.stat().st_size
        if size > limits.max_bytes:
            raise SourceError(
                file_diagnostic(
                    "Y001",
                    relpath,
                    f"file is {size:,} bytes, over the limit of {limits.max_bytes:,} bytes",
                    "a model spec is a few kilobytes; keep data out of it",
                )
            )
        with open(real, "rb") as handle:
            content = handle.read(limits.max_bytes + 1)
    except OSError as error:
        raise SourceError(file_diagnostic("Y012", relpath, f"cannot read {relpath}: {error.strerror or error}")) from error
    if len(content) > limits.max_bytes:
        raise SourceError(file_diagnostic("Y001", relpath, f"file is over the limit of {limits.max_bytes:,} bytes"))
    return SourceFile(relpath, content)
