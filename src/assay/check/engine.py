"""Checking many files: outcomes from the cache where nothing they depend on changed, the rest in parallel.

A file's outcome is looked up, in order, in the snapshot of the last run under the
same judges (one file; the common case of an unchanged repository), then in the
file's own cache entry; only a file found in neither is parsed, validated and
judged, by this process or by a pool of workers. The key of both lookups is:

    context = sha256(assay's code, schema digests, policy digest (rules and waivers),
                     assay.yaml bytes, trust root bytes, evaluation date, waiver horizon,
                     model names)
    entry   = sha256(context, path, git blob id of the file's bytes)

and an outcome whose rules read a model's evidence also records the digest of that
model's evidence/<model>/records/ (listing and bytes), which must still match.

Reading 10,000 specs to hash them would cost more than the rest of a warm run, so
a stat index (like git's) remembers each file's blob id with its stat signature
(device, inode, size, mtime, ctime). A file whose signature is unchanged, whose
folders are real folders (no symbolic link can have moved it), and which had not
been modified in the two seconds before it was last hashed (a change within the
timestamp granularity could hide) keeps its blob id; any other file is read and hashed.

Unused-waiver notes depend on every file together: they are computed after merging.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Iterable, Mapping
from typing import Any

from assay.check.cache import Codec, ResultCache, code_fingerprint
from assay.check.parallel import compute_outcomes
from assay.check.result import CheckResult, FileOutcome, SourceBytes
from assay.check.run import Judges, merge_outcomes, reads_evidence
from assay.load import Limits, SourceError, SourceFile
from assay.load.git_tree import GitTree
from assay.load.tree import FileTree, WorktreeTree
from assay.policy import EvaluationContext

CONFIG_FILE = "assay.yaml"
TRUST_FILE = "keys/trust.yaml"  # assay.evidence.TRUST_ROOT_PATH, without importing the evidence stack
SETTLE_NS = 2_000_000_000
WHOLE_FILE = Limits(max_bytes=1 << 30)
GLOB_CHARACTERS = frozenset("*?[/")

Signature = tuple[int, int, int, int, int]


def context_key(judges: Judges, judge_tree: FileTree, context: EvaluationContext) -> str:
    """The digest of everything besides a file's own path and bytes that decides its outcome."""
    parts = [
        f"code {code_fingerprint()}",
        *(f"schema {name} {digest}" for name, digest in sorted(judges.schemas.digests.items())),
        f"policies {judges.policies.digest}",
        f"config {_file_digest(judge_tree, CONFIG_FILE)}",
        f"trust {_file_digest(judge_tree, TRUST_FILE)}",
        f"today {context.today}",
        f"waiver-horizon {context.waiver_horizon_days}",
        f"models {hashlib.sha256(chr(10).join(context.models).encode()).hexdigest()}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def rewrite_threshold(files: int) -> int:
    """How many stale records a snapshot or index of `files` files may hold before it is rewritten."""
    return max(16, files // 100)


def entry_key(context: str, path: str, blob_id: str) -> str:
    return hashlib.sha256(f"{context}\0{path}\0{blob_id}".encode("utf-8", "surrogateescape")).hexdigest()


def _file_digest(tree: FileTree, path: str) -> str:
    if not tree.exists(path):
        return "absent"
    try:
        return hashlib.sha256(tree.read(path, WHOLE_FILE).content).hexdigest()
    except SourceError as error:
        return f"unreadable {error}"


class FileScanner:
    """Reads files of a tree, and knows blob ids of unchanged working-tree files without reading them."""

    def __init__(self, tree: FileTree, index: Any = None, *, bulk: bool = False) -> None:
        self.tree = tree
        self.root = str(tree.root) if isinstance(tree, WorktreeTree) else None
        self._prefix = os.path.join(self.root, "") if self.root is not None else ""
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


class EvidenceDigests:
    """Per model, the digest of its evidence records (paths and blob ids), for outcomes whose rules read them."""

    def __init__(self, tree: FileTree, scanner: FileScanner, judges: Judges) -> None:
        # Without a trust root no record verifies, so evidence cannot change an outcome.
        self.active = judges.trust is not None and reads_evidence(judges.policies)
        self._tree = tree
        self._scanner = scanner
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
        if self._records is None:
            self._records = {}
            for path in self._tree.glob("evidence/*/records/*"):
                self._records.setdefault(path.split("/")[1], []).append(path)
        digest = hashlib.sha256()
        for path in sorted(self._records.get(model, [])):
            try:
                blob = self._scanner.blob(path, WHOLE_FILE)
            except SourceError:
                return None
            digest.update(f"{path}\0{blob}\n".encode("utf-8", "surrogateescape"))
        return digest.hexdigest()


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
    judges: Judges,
    context: EvaluationContext,
    *,
    cache: ResultCache | None = None,
    jobs: int = 1,
    judge_tree: FileTree | None = None,
    complete: bool = False,
) -> CheckResult:
    """Load, validate and judge every file in `paths` (see the module docstring).

    `judge_tree` is where the judges came from (default `tree`), for the cache key;
    `complete` says `paths` are all the repository's specs, so the index and snapshot
    can forget files not among them.
    """
    paths = sorted(set(paths))
    limits = judges.config.limits
    scanner = FileScanner(tree, cache.load(cache.index_path, "index") if cache is not None else None, bulk=len(paths) > 64)
    evidence = EvidenceDigests(tree, scanner, judges)
    lookup = _Lookup(cache, context_key(judges, judge_tree or tree, context), evidence) if cache is not None else None
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
    trusted_commit = judge_tree.commit if isinstance(judge_tree, GitTree) else None
    for source, outcome in zip(pending, compute_outcomes(tree, pending, judges, context, jobs, trusted_commit), strict=True):
        outcomes[source.path] = outcome
        if lookup is not None:
            lookup.store(blobs[source.path], outcome)
    parsed = [path for path in paths if outcomes[path].parsed]
    sources = SourceBytes(parsed, contents, lambda path: _read_quietly(tree, path, limits))
    result = merge_outcomes(paths, [outcomes[path] for path in paths], judges.policies.waivers, sources)
    if cache is not None and lookup is not None:
        lookup.save(complete)
        index = scanner.index(complete)
        if index is not None:
            cache.store(cache.index_path, "index", index)
        cache.prune()
    return result


def _read_quietly(tree: FileTree, path: str, limits: Limits) -> bytes | None:
    try:
        return tree.read(path, limits).content
    except SourceError:
        return None
