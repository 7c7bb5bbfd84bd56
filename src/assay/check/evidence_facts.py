"""What the evidence says about a model, for rules that judge it (VAL-02, DEP-02) and for deploy/.

Only records that verify against the trust root count, by both rules of decision
0005: a revoked key's record counts only when its signed time is before `revokedAt`
and it entered the trusted ref's first-parent history before the revocation did
(`RevocationOrder`, read from git at most once per process and only when a key is
revoked and some model's records are judged; where git cannot order them, by signed
time only, as `assay verify` falls back). The facts are plain data for CEL:
approvals (environment, plan digest, approver), test results (plan digest, result)
and promotions (environment, plan digest, manifests).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load.tree import FileTree, WorktreeTree

if TYPE_CHECKING:
    from assay.evidence import TrustRoot
    from assay.evidence.revocation import TrustedHistory
    from assay.evidence.verify import VerifiedRecord

NO_EVIDENCE: dict[str, Any] = {"approvals": [], "tests": [], "promotions": [], "records": 0}
EVIDENCE_FOLDER = "evidence"  # assay.evidence.chain.EVIDENCE_ROOT, without importing the evidence stack


def revoked_keys(trust: TrustRoot | None) -> tuple[str, ...]:
    """The keyids `trust` marks revoked, sorted (none without a trust root)."""
    return tuple(sorted(key.keyid for key in getattr(trust, "keys", ()) if key.revoked_at is not None))


@dataclass(frozen=True)
class RevocationOrder:
    """Where rule 2 of decision 0005 reads the order of records and revocations: the trusted ref of a repository on disk.

    `root` is None when the records are not a working tree on disk; `revoked` are the keyids the trust root marks revoked.
    """

    root: str | None
    ref: str
    revoked: frozenset[str]

    @classmethod
    def of(cls, tree: FileTree, ref: str, revoked: Iterable[str]) -> RevocationOrder:
        return cls(str(tree.root) if isinstance(tree, WorktreeTree) else None, ref, frozenset(revoked))

    def history(self) -> TrustedHistory | None:
        """The trusted history; None when no key is revoked or git cannot order records.

        Read from git (three processes) on first use and kept by this object: share one per run, and read it
        before forking workers that need it (they inherit it). A later run makes a new one, so it never sees a
        history older than its own start.
        """
        return self._history if self.revoked and self.root is not None else None

    @functools.cached_property
    def _history(self) -> TrustedHistory | None:
        from assay.evidence.revocation import read_revocation_history
        from assay.load.git_tree import GitError

        assert self.root is not None
        try:
            return read_revocation_history(Path(self.root), self.ref, self.revoked, [EVIDENCE_FOLDER])
        except (GitError, OSError):
            return None  # not a git repository, no such ref, no git: signed time only

    def unordered(self) -> bool:
        """Whether records were judged while a key is revoked and git could not order them: by signed time only."""
        return bool(self.revoked) and self.root is not None and "_history" in vars(self) and self._history is None

    def stamp(self, paths: Iterable[str]) -> str:
        """What rule 2 judges the records at `paths` by, for a cache key: the commit where each entered the trusted history
        and the commit where each revoked key's revocation did ("-": not on it yet). "" when no key is revoked."""
        if not self.revoked:
            return ""
        history = self.history()
        if history is None:
            return "rule 2: git cannot order the records\n"

        def commit(position: int | None) -> str:
            return history.commits[position] if position is not None and 0 <= position < len(history.commits) else "-"

        revocations = " ".join(f"{keyid}:{commit(history.revocations.get(keyid))}" for keyid in sorted(self.revoked))
        entries = "".join(f"{path}:{commit(history.entries.get(path))}\n" for path in sorted(paths))
        return f"rule 2: {history.ref} {revocations}\n{entries}"


def verified_records(tree: FileTree, model: str, trust: TrustRoot | None, order: RevocationOrder | None = None) -> list[VerifiedRecord]:
    """The records of `model` that verify against `trust` (and, with `order`, against rule 2 of decision 0005)."""
    if trust is None or not tree.glob(f"evidence/{model}/records/*.dsse.json"):
        return []
    from assay.evidence.verify import verify_model

    history = order.history() if order is not None else None
    return verify_model(tree, model, trust, None, lambda _statement: "", history).records


def evidence_facts(records: list[VerifiedRecord]) -> dict[str, Any]:
    facts: dict[str, Any] = {"approvals": [], "tests": [], "promotions": [], "records": len(records)}
    for record in records:
        predicate = record.statement["predicate"]
        if record.kind == "approval":
            facts["approvals"].append(
                {"environment": predicate["environment"], "planDigest": record.plan_digest, "approver": record.principal}
            )
        elif record.kind == "tests":
            facts["tests"].append(
                {"planDigest": record.plan_digest, "result": predicate["result"], "failedTests": predicate["failedTests"]}
            )
        elif record.kind == "promotion":
            manifests = [subject["name"] for subject in record.statement["subject"]]
            facts["promotions"].append({"environment": predicate["environment"], "planDigest": record.plan_digest, "manifests": manifests})
    return facts


def deploy_findings(tree: FileTree, trust: TrustRoot | None, order: RevocationOrder | None = None) -> list[Diagnostic]:
    """A file under deploy/ that no verified promotion rendered, or that changed since, is an error (E001)."""
    import hashlib

    findings = []
    promoted: dict[str, dict[str, str]] = {}
    for path in tree.glob("deploy/*/*/*"):
        model = PurePosixPath(path).parts[2]
        if model not in promoted:
            promoted[model] = {}
            for record in verified_records(tree, model, trust, order):
                if record.kind == "promotion":
                    promoted[model].update({s["name"]: s["digest"]["sha256"] for s in record.statement["subject"]})
        expected = promoted[model].get(path)
        if expected is None:
            message = f"{path} was not rendered by a verified promotion of {model}; only assay promote writes deploy/"
        elif hashlib.sha256(tree.read(path).content).hexdigest() != expected:
            message = f"{path} differs from what its promotion rendered: edited by hand?"
        else:
            continue
        findings.append(
            Diagnostic("E001", Severity.ERROR, message, Location(path), "run assay promote MODEL --env ENV; never edit deploy/ by hand")
        )
    return findings


UNORDERED_NOTE = (
    "assay: note: a key is revoked, but git cannot order records against the revocation here "
    "(no repository or no such ref): records were judged by their signed time only"
)
