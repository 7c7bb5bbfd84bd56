"""Policy verdicts at a commit, with the schemas, configuration and policies in force at that commit.

Loading the judges of a tree compiles every policy (a few hundred milliseconds), and
a long history changes its policies rarely. So the judges of one commit are kept with
the exact files they were built from (every path read, every glob's answer, by blob
id) and reused for any later commit where those files are the same.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from assay.audit.model import PolicyFinding, PolicyVerdict
from assay.check import Judges, check_document, judge_model
from assay.check.evidence_facts import evidence_facts
from assay.check.run import plan_of
from assay.diagnostics import Diagnostic, Severity
from assay.evidence.chain import ordered_records, records_folder
from assay.evidence.revocation import TrustedHistory
from assay.evidence.trust import TRUST_ROOT_PATH
from assay.evidence.verify import VerifiedRecord, verify_model
from assay.load import DEFAULT_LIMITS, Document, Limits, SourceError, SourceFile
from assay.load.git_history import CommitTree
from assay.load.tree import FileTree
from assay.plan import CompiledPlan
from assay.policy import EvaluationContext, rule_applies

JudgesLoader = Callable[[Any], tuple[Judges, list[Diagnostic], list[Diagnostic]]]


class BlobTree(FileTree, Protocol):
    """A FileTree that also tells a file's git blob id (None when absent): a CommitTree, or WorktreeBlobs."""

    def blob_id(self, path: str) -> str | None: ...


class WorktreeBlobs:
    """The working tree with blob ids computed from content, so the judges built from it serve equal commits too."""

    def __init__(self, tree: FileTree) -> None:
        self.tree = tree

    def glob(self, pattern: str) -> list[str]:
        return self.tree.glob(pattern)

    def exists(self, path: str) -> bool:
        return self.tree.exists(path)

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        return self.tree.read(path, limits)

    def blob_id(self, path: str) -> str | None:
        try:
            return self.tree.read(path, _ANY_SIZE).blob_id if self.tree.exists(path) else None
        except SourceError:
            return f"unreadable {path}"


_ANY_SIZE = Limits(max_bytes=1 << 30)


class _RecordingTree:
    """A tree that remembers what was asked of it: globs with their answers, paths with their blob ids."""

    def __init__(self, tree: BlobTree) -> None:
        self.tree = tree
        self.globs: dict[str, tuple[str, ...]] = {}
        self.paths: dict[str, str | None] = {}

    def glob(self, pattern: str) -> list[str]:
        found = self.tree.glob(pattern)
        self.globs[pattern] = tuple(found)
        return found

    def exists(self, path: str) -> bool:
        self.paths[path] = self.tree.blob_id(path)
        return self.paths[path] is not None

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        self.paths[path] = self.tree.blob_id(path)
        return self.tree.read(path, limits)


@dataclass(frozen=True)
class KnownChain:
    """A chain verified already (the working tree's): its records' (path, blob id) in order, those that verified,
    and the trust root's bytes it was verified against. A commit whose records are a prefix of it, under the same
    trust root, has exactly those of them verified: a record's verdict depends only on it, the records before it and
    the keys."""

    records: tuple[tuple[str, str], ...]
    verified: Mapping[str, VerifiedRecord]
    trust: bytes | None


class JudgesCache:
    """Judges per commit, rebuilt only when a file they were built from differs."""

    def __init__(self, load: JudgesLoader, known: KnownChain | None = None, history: TrustedHistory | None = None) -> None:
        self._load = load
        self.known = known
        # The trusted ref's order of records and revocations (rule 2 of decision 0005). Its positions judge a past
        # commit too: a record and a revocation both present there entered the chain in the same order they did here.
        self.history = history
        self._built: list[tuple[dict[str, tuple[str, ...]], dict[str, str | None], Judges]] = []
        self._facts: dict[tuple[str | None, int], dict[str, Any]] = {}
        self._plans: dict[tuple[str, str], CompiledPlan] = {}
        self.loads = 0

    def judges_at(self, tree: BlobTree) -> Judges:
        for globs, paths, judges in self._built:
            if all(tuple(tree.glob(p)) == found for p, found in globs.items()) and all(tree.blob_id(p) == oid for p, oid in paths.items()):
                return judges
        recording = _RecordingTree(tree)
        judges = self._load(recording)[0]
        self.loads += 1
        self._built.append((recording.globs, recording.paths, judges))
        return judges

    def plan(self, document: Document, judges: Judges) -> CompiledPlan:
        """The plan of a schema-valid spec under these judges (cached by spec blob and policy digest)."""
        key = (document.source.blob_id, judges.policies.digest)
        if key not in self._plans:
            self._plans[key] = plan_of(document, judges)
        return self._plans[key]

    def facts(self, tree: CommitTree, model: str, judges: Judges) -> dict[str, Any]:
        """Evidence facts (verified records at this commit, by this commit's trust root), cached by the records folder."""
        key = (tree.folder_id(records_folder(model)), id(judges.trust))
        if key not in self._facts:
            self._facts[key] = evidence_facts(self._verified(tree, model, judges) if judges.trust is not None and key[0] else [])
        return self._facts[key]

    def _verified(self, tree: CommitTree, model: str, judges: Judges) -> list[VerifiedRecord]:
        known = self.known
        if known is not None and known.trust is not None and tree.blob_id(TRUST_ROOT_PATH) == SourceFile("", known.trust).blob_id:
            chain = tuple((r.path, tree.blob_id(r.path) or "") for r in ordered_records(tree.glob(f"{records_folder(model)}/*.dsse.json")))
            if chain == known.records[: len(chain)]:
                return [known.verified[path] for path, _ in chain if path in known.verified]
        return verify_model(tree, model, judges.trust, None, lambda _s: "", self.history).records


def verdict_at(
    tree: CommitTree, document: Document, judges: Judges, cache: JudgesCache, models: tuple[str, ...], when: str
) -> PolicyVerdict:
    """The verdict of the policies in force at a commit on the spec at that commit, as of the commit's date."""
    as_of = datetime.date.fromisoformat(when[:10]).isoformat()
    context = EvaluationContext(as_of, models, judges.config.waiver_horizon_days)
    diagnostics, valid = spec_findings(
        document, judges, context, plan=lambda: cache.plan(document, judges), facts=lambda model: cache.facts(tree, model, judges)
    )
    return _verdict(judges, as_of, diagnostics, valid=valid)


def spec_findings(
    document: Document,
    judges: Judges,
    context: EvaluationContext,
    *,
    plan: Callable[[], CompiledPlan],
    facts: Callable[[str], Mapping[str, Any]],
) -> tuple[list[Diagnostic], bool]:
    """Schema problems and policy findings of one spec (as `assay check` finds them), and whether it is schema-valid.

    `plan` and `facts` are called only when a rule reads the plan or the model's evidence.
    """
    problems = check_document(document, judges.schemas)
    if any(d.blocking for d in problems):
        return problems, False
    rules = judges.policies.rules
    # Evidence is verified only for a spec that some rule reading it matches (VAL-02 matches production models).
    needs_facts = any(
        ("evidence" in rule.variables or "planDigest" in rule.variables) and rule_applies(rule.match, document.data) for rule in rules
    )
    compiled = plan() if needs_facts or any(rule.reads_plan for rule in rules) else None
    evidence = None
    if compiled is not None and needs_facts:
        evidence = {"evidence": facts(str(document.data["metadata"]["name"])), "planDigest": compiled.digest}
    findings, _ = judge_model(document, judges.policies, context, compiled.data if compiled is not None else None, evidence)
    return [*problems, *findings], True


def _verdict(judges: Judges, as_of: str, diagnostics: list[Diagnostic], *, valid: bool = True) -> PolicyVerdict:
    shown = [d for d in diagnostics if d.severity is not Severity.NOTE]
    return PolicyVerdict(
        judges.policies.digest,
        as_of,
        sum(1 for d in shown if d.severity is Severity.ERROR and not d.waived),
        sum(1 for d in shown if d.severity is Severity.WARNING and not d.waived),
        sum(1 for d in shown if d.waived),
        tuple(PolicyFinding(d.code, d.severity.value, d.message, d.location.line, d.waived) for d in shown),
        valid,
    )
