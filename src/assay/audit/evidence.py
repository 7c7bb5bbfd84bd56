"""Judging many models' evidence at once: which records of each chain verify, on every processor.

The inventory's open findings include rules over evidence (VAL-02, DEP-02), so every
model's chain is verified, as `assay check` does. Only the records decide which
records verify (signatures, keys, the chain), so the published reports are not
re-hashed here; and models are independent, so a repository with many of them is
judged in forked workers (`fork_map`).
"""

from __future__ import annotations

import multiprocessing
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from assay.evidence import TrustRoot
from assay.evidence.chain import records_folder
from assay.evidence.verify import VerifiedRecord, verify_model
from assay.load import DEFAULT_LIMITS, Limits, SourceFile
from assay.load.tree import FileTree, WorktreeTree

PARALLEL_FROM = 8  # models; fewer are judged in this process
Item = TypeVar("Item")
Result = TypeVar("Result")


class ChainOnly:
    """A tree showing only one model's records.

    A report or manifest that fails its re-hash fails verification but leaves its record
    among those that verified (as `assay check` counts them), so facts need no subject read.
    """

    def __init__(self, tree: FileTree, model: str) -> None:
        self.tree, self.folder = tree, records_folder(model) + "/"
        self.real = _real_folder(tree.root, self.folder) if isinstance(tree, WorktreeTree) else None

    def glob(self, pattern: str) -> list[str]:
        return self.tree.glob(pattern) if pattern.startswith(self.folder) else []

    def exists(self, path: str) -> bool:
        return path.startswith(self.folder) and self.tree.exists(path)

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        """A record file opened without following links inside a folder checked once; anything else the careful way."""
        name = path[len(self.folder) :]
        if self.real is None or not path.startswith(self.folder) or "/" in name:
            return self.tree.read(path, limits)
        try:
            handle = os.open(self.real / name, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return self.tree.read(path, limits)  # a link, or missing: the tree says why
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode) or os.fstat(stream.fileno()).st_size > limits.max_bytes:
                return self.tree.read(path, limits)
            return SourceFile(path, stream.read())


def _real_folder(root: Path, folder: str) -> Path | None:
    """The folder's real path when it lies inside the repository, else None (then every read is checked)."""
    real_root, real = Path(os.path.realpath(root)), Path(os.path.realpath(root / folder))
    return real if real_root in real.parents else None


def verified_chain(tree: FileTree, model: str, trust: TrustRoot | None) -> list[VerifiedRecord]:
    """The records of `model` that verify against `trust` (none without a trust root)."""
    if trust is None:
        return []
    return verify_model(ChainOnly(tree, model), model, trust, None, lambda _statement: "").records


def fork_map(function: Callable[[Any, Item], Result], items: Sequence[Item], shared: Any, jobs: int | None = None) -> list[Result]:
    """`function(shared, item)` for every item, in order: in forked workers when there are many items and processors.

    Workers are forked, so `shared` (a tree, the judges, the trust root) reaches them without pickling;
    only the items and the results cross between processes.
    """
    jobs = min(jobs or os.cpu_count() or 1, len(items))
    if jobs < 2 or len(items) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return [function(shared, item) for item in items]
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker, initargs=(function, shared)) as pool:
        return pool.map(_work, items, chunksize=max(1, len(items) // (jobs * 4)))


_worker: tuple[Callable[[Any, Any], Any], Any] | None = None  # set in each forked worker, once


def _start_worker(function: Callable[[Any, Any], Any], shared: Any) -> None:
    global _worker  # noqa: PLW0603 - a worker's one input, given at fork
    _worker = (function, shared)


def _work(item: Any) -> Any:
    assert _worker is not None
    return _worker[0](_worker[1], item)
