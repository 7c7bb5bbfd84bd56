"""Checking many files: outcomes from the cache where nothing they depend on changed, the rest in parallel.

A file's outcome is looked up, in order, in the snapshot of the last run under the
same judges (one file; the common case of an unchanged repository), then in the
file's own cache entry; only a file found in neither is parsed, validated and
judged, by this process or by a pool of workers. The key of both lookups is:

    judges  = sha256(assay's code, schema digests, policy digest (rules and waivers),
                     assay.yaml bytes, trust root bytes)          (assay.check.judging)
    context = sha256(judges, evaluation date, waiver horizon, model names)
    entry   = sha256(context, path, git blob id of the file's bytes)

and an outcome whose rules read a model's evidence also records the digest of that
model's evidence/<model>/records/ (listing and bytes), which must still match. When the
trust root revokes a key, that digest also covers what rule 2 of decision 0005 judges
those records by (`RevocationOrder.stamp`: the commits of the trusted ref where each
record and each revocation entered its first-parent history), so a history that now
orders a record after its key's revocation is never answered from the cache; the
history is then read once, by this process, for the models that have records. Blob
ids of unchanged working-tree files come from a stat index (assay.check.scanner).
The judges themselves are loaded only when some file has to be judged.

Unused-waiver notes depend on every file together: they are computed after merging.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Mapping
from typing import Any

from assay.check.cache import Codec, ResultCache
from assay.check.evidence_facts import RevocationOrder
from assay.check.judging import WHOLE_FILE, JudgeSource, JudgeSummary
from assay.check.parallel import compute_outcomes, workers_for
from assay.check.result import CheckResult, FileOutcome, SourceBytes
from assay.check.run import Judges, merge_outcomes
from assay.check.scanner import FileScanner, rewrite_threshold
from assay.load import Limits, SourceError, SourceFile
from assay.load.tree import FileTree
from assay.policy.model import EvaluationContext

GLOB_CHARACTERS = frozenset("*?[/")


def context_key(summary: JudgeSummary, context: EvaluationContext) -> str:
    """The digest of everything besides a file's own path and bytes that decides its outcome."""
    parts = [
        f"judges {summary.digest}",
        f"today {context.today}",
        f"waiver-horizon {context.waiver_horizon_days}",
        f"models {hashlib.sha256(chr(10).join(context.models).encode()).hexdigest()}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def entry_key(context: str, path: str, blob_id: str) -> str:
    return hashlib.sha256(f"{context}\0{path}\0{blob_id}".encode("utf-8", "surrogateescape")).hexdigest()


class EvidenceDigests:
    """Per model, the digest of its evidence records (paths, blob ids and where rule 2 orders them), for outcomes whose rules read them."""

    def __init__(self, tree: FileTree, scanner: FileScanner, summary: JudgeSummary, order: RevocationOrder) -> None:
        # Without a trust root no record verifies, so evidence cannot change an outcome.
        self.active = summary.evidence_matters
        self._tree = tree
        self._scanner = scanner
        self._order = order
        self._records: dict[str, list[str]] | None = None
        self._digests: dict[str, str | None] = {}

    def digest(self, model: str) -> str | None:
        """The digest for `model` ("" when evidence cannot matter); None when it cannot be computed."""
        if not self.active:
            return ""
        if model not in self._digests:
            self._digests[model] = self._compute(model)
        return self._digests[model]

    def _compute(self, model: str) -> str | None:
        if not model or GLOB_CHARACTERS & set(model):
            return None
        paths = sorted(self.records().get(model, []))
        digest = hashlib.sha256()
        for path in paths:
            try:
                blob = self._scanner.blob(path, WHOLE_FILE)
            except SourceError:
                return None
            digest.update(f"{path}\0{blob}\n".encode("utf-8", "surrogateescape"))
        if paths:  # a revoked key's records count only by their place in the trusted history (decision 0005, rule 2)
            digest.update(self._order.stamp(paths).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()

    def records(self) -> dict[str, list[str]]:
        """Every model's evidence record paths, by model folder."""
        if self._records is None:
            self._records = {}
            for path in self._tree.glob("evidence/*/records/*"):
                self._records.setdefault(path.split("/")[1], []).append(path)
        return self._records


class _Lookup:
    """Cached outcomes of one context: the last run's snapshot, then the per-file entries."""

    def __init__(self, cache: ResultCache, context: str, evidence: EvidenceDigests) -> None:
        self.cache = cache
        self.context = context
        self.evidence = evidence
        stored = cache.load(cache.snapshot_path(context), f"snapshot-{context}")
        try:
            self.codec = Codec(stored["tables"]) if isinstance(stored, dict) else Codec()
            files = stored["files"] if isinstance(stored, dict) else {}
            self.snapshot: dict[str, Any] = files if isinstance(files, dict) else {}
        except (TypeError, KeyError):
            self.codec, self.snapshot = Codec(), {}
        self.fresh: dict[str, Any] = {}  # the next snapshot: path -> [blob id, evidence digest, encoded outcome]
        self.stale = 0  # outcomes this run found elsewhere than in the snapshot

    def find(self, path: str, blob_id: str) -> FileOutcome | None:
        stored = self.snapshot.get(path)
        if isinstance(stored, list) and len(stored) == 3 and stored[0] == blob_id:
            outcome = self.codec.decode(stored[2])
            if outcome is not None and outcome.path == path and self._current(outcome, stored[1]):
                self.fresh[path] = stored
                return outcome
        key = entry_key(self.context, path, blob_id)
        entry = self.cache.load(self.cache.entry_path(key), key)
        if not isinstance(entry, dict):
            return None
        try:
            codec = Codec(entry["tables"])
            outcome = codec.decode(entry["outcome"])
            evidence = entry["evidence"]
        except (TypeError, KeyError):
            return None
        if outcome is None or outcome.path != path or not self._current(outcome, evidence):
            return None
        self._keep(path, blob_id, outcome, evidence)
        return outcome

    def _current(self, outcome: FileOutcome, evidence: Any) -> bool:
        if outcome.evidence_model is None:
            return evidence is None
        return isinstance(evidence, str) and self.evidence.digest(outcome.evidence_model) == evidence

    def store(self, blob_id: str, outcome: FileOutcome) -> None:
        """Keep a computed outcome: its own entry, and a place in the next snapshot."""
        evidence = None if outcome.evidence_model is None else self.evidence.digest(outcome.evidence_model)
        if outcome.evidence_model is not None and evidence is None:
            return
        key = entry_key(self.context, outcome.path, blob_id)
        codec = Codec()
        self.cache.store(
            self.cache.entry_path(key), key, {"outcome": codec.encode(outcome), "evidence": evidence, "tables": codec.tables()}
        )
        self._keep(outcome.path, blob_id, outcome, evidence)

    def _keep(self, path: str, blob_id: str, outcome: FileOutcome, evidence: str | None) -> None:
        self.fresh[path] = [blob_id, evidence, self.codec.encode(outcome)]
        self.stale += 1

    def save(self, complete: bool) -> None:
        """Rewrite the snapshot when many outcomes are not in it: a few cost one entry read each, rewriting costs all."""
        files = self.fresh if complete else {**self.snapshot, **self.fresh}
        stale = self.stale + len(self.snapshot.keys() - files.keys())
        if stale > rewrite_threshold(len(files)) or (stale and not self.snapshot):
            value = {"tables": self.codec.tables(), "files": files}
            self.cache.store(self.cache.snapshot_path(self.context), f"snapshot-{self.context}", value)


def check_paths(
    tree: FileTree,
    paths: Iterable[str],
    judging: JudgeSource,
    context: EvaluationContext,
    *,
    cache: ResultCache | None = None,
    jobs: int = 1,
    trusted_commit: str | None = None,
    complete: bool = False,
    stats: Mapping[str, os.stat_result] | None = None,
    order: RevocationOrder | None = None,
) -> CheckResult:
    """Load, validate and judge every file in `paths` (see the module docstring).

    `judging` gives the judges' summary, and the judges when a file must be judged;
    `trusted_commit` is the commit they came from, if not the working tree (for spawned
    workers); `complete` says `paths` are all the repository's specs, so the index and
    snapshot can forget files not among them; `stats` are lstat results of the files just
    taken by the caller (see FileScanner); `order` is where rule 2 of decision 0005 reads the
    trusted history (by default `trusted_commit`'s, else HEAD's; pass one to share its read).
    """
    paths = sorted(set(paths))
    summary = judging.summary
    limits = summary.limits
    stored_index = cache.load(cache.index_path, "index") if cache is not None else None
    scanner = FileScanner(tree, stored_index, bulk=len(paths) > 64, stats=stats)
    order = order if order is not None else RevocationOrder.of(tree, trusted_commit or "HEAD", summary.revoked)
    evidence = EvidenceDigests(tree, scanner, summary, order)
    lookup = _Lookup(cache, context_key(summary, context), evidence) if cache is not None else None
    outcomes: dict[str, FileOutcome] = {}
    contents: dict[str, bytes] = {}
    pending: list[SourceFile] = []
    blobs: dict[str, str] = {}  # blob ids of the files read, computed once
    for path in paths:
        indexed = scanner.known_blob(path) if lookup is not None else None
        found = lookup.find(path, indexed) if lookup is not None and indexed is not None else None
        if lookup is not None and found is not None and indexed is not None:
            scanner.remember(path, indexed)
            outcomes[path] = found
            continue
        try:
            source = scanner.read(path, limits)
        except SourceError as error:
            outcomes[path] = FileOutcome(path, (error.diagnostic,), parsed=False)
            continue
        contents[path] = source.content
        if lookup is not None:
            blobs[path] = blob_id = source.blob_id
            scanner.remember(path, blob_id)
            found = lookup.find(path, blob_id) if blob_id != indexed else None
        if found is None:
            pending.append(source)
        else:
            outcomes[path] = found
    if pending:  # the judges are loaded here, only when some file must be judged
        judges = _judges_with(judging, order, evidence, len(pending), jobs)
        for source, outcome in zip(pending, compute_outcomes(tree, pending, judges, context, jobs, trusted_commit), strict=True):
            outcomes[source.path] = outcome
            if lookup is not None:
                lookup.store(blobs[source.path], outcome)
    parsed = [path for path in paths if outcomes[path].parsed]
    sources = SourceBytes(parsed, contents, lambda path: _read_quietly(tree, path, limits))
    result = merge_outcomes(paths, [outcomes[path] for path in paths], summary.waivers, sources)
    if cache is not None and lookup is not None:
        lookup.save(complete)
        index = scanner.index(complete)
        if index is not None:
            cache.store(cache.index_path, "index", index)
        cache.prune()
    return result


def _judges_with(judging: JudgeSource, order: RevocationOrder, evidence: EvidenceDigests, files: int, jobs: int) -> Judges:
    """The judges, with where rule 2 reads the trusted history: read here, once, when forked workers may judge records by it."""
    if order.revoked and evidence.active and workers_for(files, jobs) > 1 and evidence.records():
        order.history()
    return dataclasses.replace(judging.judges, order=order)


def _read_quietly(tree: FileTree, path: str, limits: Limits) -> bytes | None:
    try:
        return tree.read(path, limits).content
    except SourceError:
        return None
