"""What judges a check, known before (and often instead of) loading the judges.

Loading the judges (schemas checked against their metaschemas, every policy's CEL and
templates compiled, the trust root parsed) costs more than a warm check of 10,000
unchanged specs, and a warm check needs none of it: only the digest the cache is keyed
by, the configured spec patterns and limits, the waivers (for unused-waiver notes), the
policy files and the problems found while loading. That is a `JudgeSummary`.

A summary is stored in the result cache with every read that loading made of the judge
tree (each glob and its answer, each file's existence, each file's sha256), under a
name that includes assay's code fingerprint and the bundled schemas. The next run
replays those reads (a few globs and small files); when every answer is the same,
loading would read the same bytes and give the same judges, so the summary stands and
the judges are loaded only if some spec must be judged. Otherwise the judges are loaded
and a new summary is stored. A record that does not verify (see `assay.check.cache`)
is ignored.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from assay.check.cache import ResultCache, code_fingerprint
from assay.check.codec import Codec, decode_location, encode_location
from assay.check.evidence_facts import revoked_keys
from assay.check.run import Judges, reads_evidence
from assay.diagnostics import Diagnostic
from assay.load.source import DEFAULT_LIMITS, Limits, SourceError, SourceFile
from assay.load.tree import FileTree
from assay.policy.model import Waiver

CONFIG_FILE = "assay.yaml"
TRUST_FILE = "keys/trust.yaml"  # assay.evidence.TRUST_ROOT_PATH, without importing the evidence stack
WHOLE_FILE = Limits(max_bytes=1 << 30)


class LoadJudges(Protocol):
    """How judges are loaded from a tree (`assay.cli.repository.load_judges`)."""

    def __call__(self, tree: FileTree, *, known_good: bool = False) -> tuple[Judges, list[Diagnostic], list[Diagnostic]]: ...


@dataclass(frozen=True)
class JudgeSummary:
    """What a check needs of its judges when no spec has to be judged."""

    digest: str  # of everything that judges: assay's code, schemas, policies and waivers, assay.yaml, the trust root
    models: tuple[str, ...]  # assay.yaml's spec patterns
    limits: Limits
    waiver_horizon_days: int
    waivers: tuple[Waiver, ...]
    policy_files: tuple[str, ...]
    evidence_matters: bool  # a trust root exists and some rule reads evidence: outcomes depend on evidence records
    config_problems: tuple[Diagnostic, ...] = ()
    policy_problems: tuple[Diagnostic, ...] = ()
    revoked: tuple[str, ...] = ()  # keyids the trust root marks revoked: records may also be judged by git's order (rule 2)


class JudgeSource:
    """The judges of a check: their summary at once, the judges themselves on first use."""

    def __init__(self, summary: JudgeSummary, load: Callable[[], Judges]) -> None:
        self.summary = summary
        self._load = load

    @functools.cached_property
    def judges(self) -> Judges:
        return self._load()

    @classmethod
    def of(cls, judges: Judges, judge_tree: FileTree) -> JudgeSource:
        """Judges already loaded (from `judge_tree`), without problems to report."""
        return cls(summarize(judges, judge_tree, [], []), lambda: judges)


def summarize(judges: Judges, judge_tree: FileTree, config_problems: list[Diagnostic], policy_problems: list[Diagnostic]) -> JudgeSummary:
    parts = [
        f"code {code_fingerprint()}",
        *(f"schema {name} {digest}" for name, digest in sorted(judges.schemas.digests.items())),
        f"policies {judges.policies.digest}",
        f"config {_file_digest(judge_tree, CONFIG_FILE)}",
        f"trust {_file_digest(judge_tree, TRUST_FILE)}",
    ]
    config = judges.config
    return JudgeSummary(
        hashlib.sha256("\n".join(parts).encode()).hexdigest(),
        tuple(config.models),
        config.limits,
        config.waiver_horizon_days,
        judges.policies.waivers,
        judges.policies.files,
        judges.trust is not None and reads_evidence(judges.policies),
        tuple(config_problems),
        tuple(policy_problems),
        revoked_keys(judges.trust),
    )


def _file_digest(tree: FileTree, path: str) -> str:
    if not tree.exists(path):
        return "absent"
    try:
        return hashlib.sha256(tree.read(path, WHOLE_FILE).content).hexdigest()
    except SourceError as error:
        return f"unreadable {error}"


def open_judges(judge_tree: FileTree, load: LoadJudges, cache: ResultCache | None, bundled: dict[str, bytes]) -> JudgeSource:
    """The judges of `judge_tree`: from the summary in `cache` when its reads replay the same, else loaded.

    `load` loads them (schemas, config, policies, trust root) through the tree it is given;
    `bundled` are the schemas shipped with assay, which loading reads besides the tree.
    """
    if cache is None:
        judges, config_problems, policy_problems = load(judge_tree)
        return JudgeSource(summarize(judges, judge_tree, config_problems, policy_problems), lambda: judges)
    name = _record_name(judge_tree, bundled)
    path = cache.data / "judges" / name
    summary = _replayed(cache.load(path, name), judge_tree)
    if summary is not None:
        known_good = not summary.config_problems and not summary.policy_problems  # then nothing is checked twice
        return JudgeSource(summary, lambda: load(judge_tree, known_good=known_good)[0])
    recording = RecordingTree(judge_tree)
    judges, config_problems, policy_problems = load(recording)
    summary = summarize(judges, recording, config_problems, policy_problems)
    cache.store(path, name, {"reads": recording.reads, "summary": encode_summary(summary)})
    return JudgeSource(summary, lambda: judges)


def _record_name(judge_tree: FileTree, bundled: dict[str, bytes]) -> str:
    digest = hashlib.sha256(f"{code_fingerprint()}\n{type(judge_tree).__name__}\n{getattr(judge_tree, 'commit', '')}\n".encode())
    for filename in sorted(bundled):
        digest.update(f"{filename} {hashlib.sha256(bundled[filename]).hexdigest()}\n".encode())
    return f"judges-{digest.hexdigest()}"


class RecordingTree:
    """A FileTree that remembers every answer it gives: what loading the judges read."""

    def __init__(self, tree: FileTree) -> None:
        self.tree = tree
        self.reads: list[list[Any]] = []

    def glob(self, pattern: str) -> list[str]:
        found = self.tree.glob(pattern)
        self.reads.append(["glob", pattern, found])
        return found

    def exists(self, path: str) -> bool:
        found = self.tree.exists(path)
        self.reads.append(["exists", path, found])
        return found

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        limit = dataclasses.astuple(limits)
        try:
            source = self.tree.read(path, limits)
        except SourceError as error:
            self.reads.append(["read", path, list(limit), _error_answer(error)])
            raise
        self.reads.append(["read", path, list(limit), hashlib.sha256(source.content).hexdigest()])
        return source


def _error_answer(error: SourceError) -> str:
    diagnostic = error.diagnostic
    return f"error {diagnostic.code} {diagnostic.message}"


def _answer(tree: FileTree, read: Any) -> Any:
    """What `tree` answers now to the recorded `read` (same shape as the recorded answer)."""
    kind, path = read[0], read[1]
    if kind == "glob":
        return tree.glob(path)
    if kind == "exists":
        return tree.exists(path)
    if kind == "read":
        try:
            return hashlib.sha256(tree.read(path, Limits(*read[2])).content).hexdigest()
        except SourceError as error:
            return _error_answer(error)
    raise ValueError(kind)


def _replayed(stored: Any, tree: FileTree) -> JudgeSummary | None:
    """The stored summary when every recorded read of `tree` still gets the same answer, else None."""
    try:
        reads, encoded = stored["reads"], stored["summary"]
        for read in reads:
            if _answer(tree, read) != read[-1]:
                return None
        return decode_summary(encoded)
    except (TypeError, ValueError, KeyError, IndexError):
        return None


def encode_summary(summary: JudgeSummary) -> dict[str, Any]:
    codec = Codec()
    return {
        "digest": summary.digest,
        "models": list(summary.models),
        "limits": list(dataclasses.astuple(summary.limits)),
        "waiverHorizonDays": summary.waiver_horizon_days,
        "waivers": [[*_waiver_texts(w), encode_location(w.location, "")] for w in summary.waivers],
        "policyFiles": list(summary.policy_files),
        "evidenceMatters": summary.evidence_matters,
        "configProblems": codec.encode_diagnostics(summary.config_problems),
        "policyProblems": codec.encode_diagnostics(summary.policy_problems),
        "revoked": list(summary.revoked),
        "tables": codec.tables(),
    }


_WAIVER_TEXTS = ("rule", "model", "pointer", "reason", "ticket", "approver", "approved", "expires", "problem")


def _waiver_texts(waiver: Waiver) -> list[str]:
    return [getattr(waiver, name) for name in _WAIVER_TEXTS]


def decode_summary(value: Any) -> JudgeSummary | None:
    """The summary `value` encodes; None (or TypeError, ValueError, KeyError) when it is not one."""
    codec = Codec(value["tables"])
    config_problems = codec.decode_diagnostics(value["configProblems"])
    policy_problems = codec.decode_diagnostics(value["policyProblems"])
    if config_problems is None or policy_problems is None:
        return None
    waivers = []
    for entry in value["waivers"]:
        texts = entry[: len(_WAIVER_TEXTS)]
        if len(entry) != len(_WAIVER_TEXTS) + 1 or not all(type(text) is str for text in texts):
            return None
        waivers.append(Waiver(**dict(zip(_WAIVER_TEXTS, texts, strict=True)), location=decode_location(entry[-1], "")))
    limits = value["limits"]
    if not all(type(number) is int for number in limits) or type(value["waiverHorizonDays"]) is not int:
        return None
    strings = [value["digest"], *value["models"], *value["policyFiles"], *value["revoked"]]
    if not all(type(text) is str for text in strings) or type(value["evidenceMatters"]) is not bool:
        return None
    return JudgeSummary(
        value["digest"],
        tuple(value["models"]),
        Limits(*limits),
        value["waiverHorizonDays"],
        tuple(waivers),
        tuple(value["policyFiles"]),
        value["evidenceMatters"],
        config_problems,
        policy_problems,
        tuple(value["revoked"]),
    )
