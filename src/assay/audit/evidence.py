"""Evidence facts for many models at once: which records of each chain verify, in parallel.

The inventory's open findings include rules over evidence (VAL-02, DEP-02), so every
model's chain is verified, as `assay check` does. Only the records decide which
records verify (signatures, keys, the chain), so the published reports are not
re-hashed here; and chains are independent, so a repository with many models
verifies them on every processor (forked workers, no pickling of the trust root).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from typing import Any

from assay.check.evidence_facts import evidence_facts
from assay.evidence import TrustRoot
from assay.evidence.chain import records_folder
from assay.evidence.verify import VerifiedRecord, verify_model
from assay.load import DEFAULT_LIMITS, Limits, SourceFile
from assay.load.tree import FileTree

PARALLEL_FROM = 8  # models; fewer are verified in this process


class ChainOnly:
    """A tree showing only one model's records.

    A report or manifest that fails its re-hash fails verification but leaves its record
    among those that verified (as `assay check` counts them), so facts need no subject read.
    """

    def __init__(self, tree: FileTree, model: str) -> None:
        self.tree, self.folder = tree, records_folder(model) + "/"

    def glob(self, pattern: str) -> list[str]:
        return self.tree.glob(pattern) if pattern.startswith(self.folder) else []

    def exists(self, path: str) -> bool:
        return path.startswith(self.folder) and self.tree.exists(path)

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        return self.tree.read(path, limits)


def verified_chain(tree: FileTree, model: str, trust: TrustRoot | None) -> list[VerifiedRecord]:
    """The records of `model` that verify against `trust` (none without a trust root)."""
    if trust is None:
        return []
    return verify_model(ChainOnly(tree, model), model, trust, None, lambda _statement: "").records


def facts_of_models(tree: FileTree, models: Sequence[str], trust: TrustRoot | None, jobs: int | None = None) -> dict[str, dict[str, Any]]:
    """model -> evidence facts, each chain verified in its own worker when there are many."""
    with_records = [m for m in models if trust is not None and tree.glob(f"{records_folder(m)}/*.dsse.json")]
    facts = {model: evidence_facts([]) for model in models}
    jobs = min(jobs or os.cpu_count() or 1, len(with_records))
    if jobs < 2 or len(with_records) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        facts.update({model: evidence_facts(verified_chain(tree, model, trust)) for model in with_records})
        return facts
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker, initargs=(tree, trust)) as pool:
        facts.update(
            zip(with_records, pool.map(_worker_facts, with_records, chunksize=max(1, len(with_records) // (jobs * 4))), strict=True)
        )
    return facts


_worker: tuple[FileTree, TrustRoot | None] | None = None  # set in each forked worker, once


def _start_worker(tree: FileTree, trust: TrustRoot | None) -> None:
    global _worker  # noqa: PLW0603 - a worker's one input, given at fork
    _worker = (tree, trust)


def _worker_facts(model: str) -> dict[str, Any]:
    assert _worker is not None
    return evidence_facts(verified_chain(_worker[0], model, _worker[1]))
