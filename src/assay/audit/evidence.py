"""Judging many models' evidence at once: which records of each chain verify, on every processor.

The inventory's open findings include rules over evidence (VAL-02, DEP-02), so every
model's chain is verified, as `assay check` does. Only the records decide which
records verify (signatures, keys, the chain), so the published reports are not
re-hashed here; and models are independent, so a repository with many of them is
judged in forked workers (`fork_map`).

Records are judged by both rules of decision 0005: a revoked key's record counts only
if it entered the trusted ref's first-parent history before the revocation did
(`RevocationOrder`, read from git once, only when the trust root revokes a key and a
model has records; where git cannot order them, by signed time only).

Verifying a long chain costs about a millisecond a record (a signature and a
canonical-JSON parse each), and what it yields, the model's evidence facts, depends
only on the record files' names and bytes, the trust root, assay's code and, when a
key is revoked, the commits where each record and each revocation entered the trusted
history (`RevocationOrder.stamp`). So `EvidenceFacts` keeps the facts in the
repository's result cache (`.assay/cache/`, the entries MAC'd as `assay check`'s are)
under a digest of exactly those: an entry is either right or never found, and a later
run only reads and hashes the records (and, with a revoked key, reads the history).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from assay.check.cache import ResultCache, code_fingerprint
from assay.check.evidence_facts import RevocationOrder, evidence_facts
from assay.evidence import TrustRoot
from assay.evidence.chain import records_folder
from assay.evidence.verify import verify_model
from assay.load import DEFAULT_LIMITS, Limits, SourceError, SourceFile
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


FACTS_FORMAT = "assay-evidence-facts/2"


class EvidenceFacts:
    """A model's evidence facts (its records that verify against `trust`, and against rule 2 by `order`),
    remembered in `cache` when there is one."""

    def __init__(self, tree: FileTree, trust: TrustRoot | None, cache: ResultCache | None, order: RevocationOrder | None = None) -> None:
        self.tree, self.trust, self.cache, self.order = tree, trust, cache, order
        # The trust root as parsed (frozen values: its repr is exact and stable), not as read: what verification used.
        base = f"{FACTS_FORMAT}\n{code_fingerprint() if cache is not None else ''}\n{trust!r}\n"
        self._base = hashlib.sha256(base.encode("utf-8", "surrogateescape"))

    def __call__(self, model: str) -> dict[str, Any]:
        if self.trust is None:
            return evidence_facts([])
        chain = ChainOnly(self.tree, model)
        paths = sorted(chain.glob(f"{chain.folder}*.dsse.json"))
        key = self._key(chain, model, paths) if self.cache is not None else None
        if self.cache is not None and key is not None:
            stored = self.cache.load(self.cache.entry_path(key), key)
            if isinstance(stored, dict):
                return stored
        history = self.order.history() if self.order is not None and paths else None
        facts = evidence_facts(verify_model(chain, model, self.trust, None, lambda _statement: "", history).records)
        if self.cache is not None and key is not None:
            self.cache.store(self.cache.entry_path(key), key, facts)
        return facts

    def _key(self, chain: ChainOnly, model: str, paths: list[str]) -> str | None:
        """The digest of the base (format, code, trust root), the model, every record's name and bytes and, when a key is
        revoked, where the records and revocations entered the trusted history; None if a record is unreadable."""
        digest = self._base.copy()
        digest.update(f"{model}\0".encode("utf-8", "surrogateescape"))
        for path in paths:
            try:
                content = chain.read(path, _WHOLE_FILE).content
            except SourceError:
                return None
            digest.update(f"{path}\0{len(content)}\0".encode("utf-8", "surrogateescape"))
            digest.update(content)
        if paths and self.trust is not None and self.order is not None:
            digest.update(self.order.stamp(paths).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def read_history_once(self) -> None:
        """Read the trusted history now, before the models are shared out over forked workers (each would read it),
        when rule 2 may judge a record: a key is revoked and some model has records."""
        if self.trust is not None and self.order is not None and self.order.revoked and self.tree.glob("evidence/*/records/*.dsse.json"):
            self.order.history()


_WHOLE_FILE = Limits(max_bytes=1 << 30)


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
