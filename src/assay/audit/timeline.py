"""build_timeline: spec changes, evidence records and out-of-band edits in, one ordered Timeline out. Pure.

Events are ordered as git ordered them (the commit that made each one, parents
before children); within a commit the spec change comes first, then the records
in chain order. Records not yet committed come last, by their signed time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from assay.audit.model import (
    FAILED,
    NOT_COMMITTED,
    UNSIGNED,
    VERIFIED,
    Entry,
    InventoryRow,
    OutOfBandEdit,
    RecordEvidence,
    SpecChange,
    Timeline,
)
from assay.audit.summaries import record_data
from assay.evidence.chain import record_fields
from assay.load.git_history import CommitInfo

GOOD_SIGNATURES = ("G", "U")
KIND_OF_RECORD = {"provenance": "run", "tests": "tests", "monitor": "monitor"}


def build_timeline(
    model: str,
    spec_path: str,
    as_of: str,
    commits: Sequence[CommitInfo],
    specs: Sequence[SpecChange],
    records: Sequence[RecordEvidence],
    edits: Sequence[OutOfBandEdit],
    unattached: Sequence[tuple[str, str]],
    *,
    since: str | None = None,
    until: str | None = None,
    inventory: InventoryRow | None = None,
    limits: Mapping[str, float] | None = None,
) -> Timeline:
    """Every event of one model, ordered, within [since, until] (dates, inclusive)."""
    position = {commit.sha: index for index, commit in enumerate(commits)}
    keyed: list[tuple[tuple[float, int, str], Entry]] = []
    for spec in specs:
        keyed.append(((position.get(spec.commit.sha, -1), 0, ""), spec_entry(spec)))
    for record in records:
        entry = record_entry(record)
        where = position.get(record.added.sha, -1) if record.added is not None else float("inf")
        keyed.append(((where, 1 + record.sequence, entry.when), entry))
    for edit in edits:
        keyed.append(((position.get(edit.commit.sha, -1), 1 << 30, ""), edit_entry(edit)))
    ordered = [entry for _, entry in sorted(keyed, key=lambda item: item[0])]
    chosen = tuple(entry for entry in ordered if _within(entry.when, since, until))
    return Timeline(model, spec_path, as_of, since, until, chosen, tuple(unattached), inventory, dict(limits or {}))


def _within(when: str, since: str | None, until: str | None) -> bool:
    day = when[:10]
    return (since is None or day >= since) and (until is None or day <= until)


def commit_data(commit: CommitInfo | None) -> dict[str, Any] | None:
    if commit is None:
        return None
    data = asdict(commit)
    data.pop("changes")
    data["signatureStatus"] = commit.signature_status
    return data


def spec_entry(spec: SpecChange) -> Entry:
    commit = spec.commit
    areas = sorted({change.area for change in spec.changes if change.material})
    if spec.status == "added":
        title = f"spec added at version {spec.version}"
    elif spec.status in ("removed", "invalid"):
        title = f"spec {spec.status}"
    elif spec.material:
        title = f"material change ({', '.join(areas)}), version {spec.version}"
    else:
        shown = sorted({change.area for change in spec.changes}) or ["no plan change"]
        title = f"non-material change ({', '.join(shown)}), version {spec.version}"
    verdict = spec.verdict
    data: dict[str, Any] = {
        "status": spec.status,
        "version": spec.version,
        "planDigest": spec.plan_digest,
        "material": spec.material,
        "materialAreas": areas,
        "changes": [asdict(change) for change in spec.changes],
        "verdict": None if verdict is None else {**asdict(verdict), "outcome": verdict.outcome},
    }
    status, reasons = _signature(commit)
    return Entry("spec", commit.committed, commit, title, status, reasons, (spec.path,), data)


def _signature(commit: CommitInfo) -> tuple[str, tuple[str, ...]]:
    if commit.signature in GOOD_SIGNATURES:
        return VERIFIED, ()
    if commit.signature == "N":
        return UNSIGNED, ("the commit is not signed",)
    return FAILED, (f"commit signature: {commit.signature_status}",)


def record_entry(record: RecordEvidence) -> Entry:
    kind = KIND_OF_RECORD.get(record.kind) or record.kind.split("-", 1)[0]
    if kind not in ("approval", "promotion", *KIND_OF_RECORD.values()):
        kind = "record"
    statement: Mapping[str, Any] = record.statement or {}
    fields = record_fields(statement) if statement else {}
    when = record.added.committed if record.added is not None else str(fields.get("issuedAt", ""))
    data = {
        "record": record.kind,
        "sequence": record.sequence,
        "planDigest": fields.get("planDigest"),
        "issuedAt": fields.get("issuedAt"),
        "signedBy": record.principal,
        "rewrites": [{"status": status, "commit": c.sha} for status, c in record.rewrites],
        **record_data(kind, statement, record.reports),
    }
    status = VERIFIED if record.verified else FAILED
    reasons = record.reasons
    if record.verified and record.added is None:
        status, reasons = NOT_COMMITTED, ("the record is in the working tree but not in any commit",)
    elif not record.verified and not reasons:
        reasons = ("the record does not verify",)
    return Entry(kind, when, record.added, _record_title(kind, data, record), status, reasons, (record.path,), data)


def _record_title(kind: str, data: Mapping[str, Any], record: RecordEvidence) -> str:
    digest = str(data.get("planDigest") or "")[:12]
    if kind == "run":
        outcomes = f"gates {data.get('gatesOutcome')}, fairness {data.get('fairnessOutcome')}"
        return f"run of version {data.get('version')} (plan {digest}): {outcomes}"
    if kind == "tests":
        return f"test result {data.get('result')} for plan {digest}"
    if kind == "approval":
        return f"approval for {data.get('environment')} by {data.get('approver')} (plan {digest})"
    if kind == "promotion":
        return f"promotion to {data.get('environment')} (plan {digest})"
    if kind == "monitor":
        psi = f", score PSI {data['psi']:g}" if isinstance(data.get("psi"), float) else ""
        return f"monitoring: {data.get('verdict') or data.get('result') or 'result'}{psi} (plan {digest})"
    return f"{record.kind} record" + ("" if record.present else " (deleted)")


def edit_entry(edit: OutOfBandEdit) -> Entry:
    commit = edit.commit
    reason = f"commit {commit.sha[:12]} by {commit.author_email} changed evidence or deployed manifests without a signed record"
    return Entry(
        "edit", commit.committed, commit, f"out-of-band change to {len(edit.paths)} evidence file(s)", FAILED, (reason,), edit.paths
    )


def status_counts(entries: Sequence[Entry]) -> dict[str, int]:
    counts = {VERIFIED: 0, FAILED: 0, UNSIGNED: 0, NOT_COMMITTED: 0}
    for entry in entries:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    return counts
