"""verify_evidence: every record of every model, checked against nothing but keys and bytes.

For each record, in chain order: the DSSE signature against the trust root; the key's
role, validity window and revocation at the record's signed time; the record's model
and its place in the chain (the previous record's path and sha256); every subject
re-hashed (published files in evidence/, artifacts from the local store when present,
else "digest only"); the predicate type is one assay writes; and for a training
record, the plan recomputed from the spec blob it names must have the digest it claims.
A test result whose subjects are all monitoring reports (evidence/<model>/monitoring/…,
named by their repository path) is a `monitor` record, not the run's `tests`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.evidence.chain import artifacts_folder, monitoring_folder, ordered_records, previous_of, records_folder
from assay.evidence.envelope import parse_envelope_file, verify_envelope
from assay.evidence.errors import EvidenceError
from assay.evidence.records import read_record_header, subject_digests
from assay.evidence.revocation import TrustedHistory
from assay.evidence.statements import APPROVAL_TYPE, PROMOTION_TYPE, PROVENANCE_TYPE, TEST_RESULT_TYPE
from assay.evidence.trust import TrustRoot, check_key
from assay.load import Limits
from assay.load.tree import FileTree

ROLE_FOR = {
    PROVENANCE_TYPE: ("runner",),
    TEST_RESULT_TYPE: ("runner",),
    PROMOTION_TYPE: ("runner",),
    APPROVAL_TYPE: ("validator", "risk-officer", "owner"),
}
KINDS = {PROVENANCE_TYPE: "provenance", TEST_RESULT_TYPE: "tests", APPROVAL_TYPE: "approval", PROMOTION_TYPE: "promotion"}
STORE = ".assay/store/sha256"


@dataclass(frozen=True)
class Finding:
    """One check's outcome for one file: ok, failed (with the reason) or a note."""

    path: str
    status: str
    message: str


@dataclass(frozen=True)
class VerifiedRecord:
    """A record that passed every check, with what later stages need from it."""

    path: str
    kind: str
    model: str
    plan_digest: str
    statement: Mapping[str, Any]
    principal: str


@dataclass
class VerificationReport:
    findings: list[Finding] = field(default_factory=list)
    records: list[VerifiedRecord] = field(default_factory=list)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "failed"]

    def fail(self, path: str, message: str) -> None:
        self.findings.append(Finding(path, "failed", message))


PlanCheck = Callable[[Mapping[str, Any]], str]


def evidence_models(tree: FileTree) -> list[str]:
    return sorted({path.split("/")[1] for path in tree.glob("evidence/*/records/*.dsse.json")})


def verify_model(
    tree: FileTree, model: str, trust: TrustRoot, store: Path | None, check_plan: PlanCheck, history: TrustedHistory | None = None
) -> VerificationReport:
    """Every check on one model's chain; the report lists failures, notes and the records that verified.

    With the trusted ref's `history`, a record signed by a revoked key is also refused when it entered
    that history at or after the revocation (decision 0005, rule 2).
    """
    report = VerificationReport()
    records = ordered_records(tree.glob(f"{records_folder(model)}/*.dsse.json"))
    previous: dict[str, str] | None = None
    for position, record in enumerate(records, start=1):
        content = tree.read(record.path).content
        digest = hashlib.sha256(content).hexdigest()
        if record.sequence != position:
            report.fail(
                record.path,
                f"chain is broken: record number {record.sequence} where {position} was expected (a record was deleted or renumbered)",
            )
        verified = _verify_record(tree, record.path, content, model, trust, previous, report, history)
        if verified is not None:
            report.records.append(verified)
            _check_subjects(tree, verified, store, report)
            if verified.kind == "provenance":
                problem = check_plan(verified.statement)
                if problem:
                    report.fail(record.path, problem)
        previous = {"path": record.path, "sha256": digest}
    _check_promoted_files(tree, report)
    return report


def _check_promoted_files(tree: FileTree, report: VerificationReport) -> None:
    """Each file under deploy/ must match the latest verified promotion that rendered it."""
    latest: dict[str, tuple[str, str]] = {}
    for record in report.records:
        if record.kind == "promotion":
            for path, digest in subject_digests(record.statement).items():
                latest[path] = (digest, record.path)
    for path, (digest, record_path) in sorted(latest.items()):
        if not tree.exists(path):
            report.findings.append(Finding(path, "note", f"promoted manifest no longer present (promotion {record_path})"))
        elif hashlib.sha256(tree.read(path, _NO_LIMIT).content).hexdigest() != digest:
            report.fail(path, f"manifest differs from what promotion {record_path} rendered: edited by hand?")


def _verify_record(
    tree: FileTree,
    path: str,
    content: bytes,
    model: str,
    trust: TrustRoot,
    previous: Mapping[str, str] | None,
    report: VerificationReport,
    history: TrustedHistory | None,
) -> VerifiedRecord | None:
    try:
        statement, keyid = verify_envelope(parse_envelope_file(content), trust.verification_keys())
        header = read_record_header(statement)
    except EvidenceError as error:
        report.fail(path, str(error))
        return None
    key = trust.key_for(keyid)
    assert key is not None
    if header.model != model:
        report.fail(path, f"record is about model '{header.model}', but sits in the chain of '{model}' (replayed?)")
        return None
    roles = ROLE_FOR[header.predicate_type]
    problems = [check_key(key, role=role, at=header.issued_at) for role in roles]
    if all(problems):
        report.fail(path, f"signed by {key.principal} ({keyid[:12]}…): {problems[0]}")
        return None
    late = history.late_record(path, keyid) if history is not None and key.revoked_at is not None else ""
    if late:
        report.fail(path, f"signed by {key.principal}: {late}")
        return None
    linked = previous_of(statement)
    if dict(linked or {}) != dict(previous or {}):
        expected = previous["path"] if previous else "nothing (first record)"
        named = linked.get("path") if linked else "no previous record"
        report.fail(path, f"chain is broken: the record names {named} as its previous, expected {expected}")
        return None
    kind = KINDS[header.predicate_type]
    if kind == "tests" and _is_monitoring(statement, header.model):
        kind = "monitor"
    report.findings.append(Finding(path, "ok", f"{kind} record signed by {key.principal}"))
    return VerifiedRecord(path, kind, header.model, header.plan_digest, statement, key.principal)


def _check_subjects(tree: FileTree, record: VerifiedRecord, store: Path | None, report: VerificationReport) -> None:
    if record.kind == "approval":
        return
    if record.kind == "promotion":
        return  # checked once the whole chain is read: a later promotion may rewrite the same files
    published = artifacts_folder(record.model, record.plan_digest)
    for name, digest in subject_digests(record.statement).items():
        path = name if record.kind == "monitor" else f"{published}/{name}"
        if tree.exists(path):
            actual = hashlib.sha256(tree.read(path, _NO_LIMIT).content).hexdigest()
            if actual != digest:
                report.fail(path, f"sha256 is {actual}, the signed record {record.path} says {digest}: the file was changed")
            continue
        stored = store / digest[:2] / digest[2:] if store is not None else None
        if stored is not None and stored.is_file():
            if _sha256_file(stored) != digest:
                report.fail(str(stored), f"store object for {name} does not hash to its name: the store was tampered with")
        elif name.startswith("reports/") or record.kind == "monitor":
            report.fail(path, f"published report {name} named by {record.path} is missing")
        else:
            report.findings.append(Finding(path, "note", f"{name}: digest only (artifact not in the local store)"))


def _is_monitoring(statement: Mapping[str, Any], model: str) -> bool:
    """A test result about a monitoring batch: every subject is a report published under evidence/<model>/monitoring/."""
    subjects = statement.get("subject")
    prefix = f"{monitoring_folder(model)}/"
    names = [str(s.get("name", "")) if isinstance(s, Mapping) else "" for s in subjects] if isinstance(subjects, list) else []
    return bool(names) and all(name.startswith(prefix) and ".." not in name.split("/") for name in names)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_NO_LIMIT = Limits(max_bytes=1 << 30)
