"""A model's evidence records as an auditor sees them: when git got each, whether it verifies, what it says.

The verifier's report decides whether a record holds; git's history says which
commit added it and whether any later commit rewrote or deleted it (records are
append-only, so either is a failure). A failed subject (a changed report, a
hand-edited manifest) fails the records that name it. A record that does not verify
is still shown, decoded without trust and marked as failed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from assay.audit.model import OutOfBandEdit, RecordEvidence
from assay.evidence.chain import EVIDENCE_ROOT, artifacts_folder, ordered_records, parse_record_path, record_fields, records_folder
from assay.evidence.verify import VerificationReport
from assay.load import Limits, SourceError
from assay.load.git_history import CommitInfo
from assay.load.tree import FileTree

REPORTS = ("metrics", "fairness")
_REPORT_LIMITS = Limits(max_bytes=64 * 1024 * 1024)


def record_evidence(
    tree: FileTree, model: str, report: VerificationReport, commits: list[CommitInfo]
) -> tuple[list[RecordEvidence], list[tuple[str, str]]]:
    """Every record of `model` ever committed or present now, in chain order, and failures tied to no record."""
    added, rewrites = _history(model, commits)
    present = ordered_records(tree.glob(f"{records_folder(model)}/*.dsse.json"))
    verified = {record.path: record for record in report.records}
    statements = {
        record.path: verified[record.path].statement if record.path in verified else _decode(tree, record.path) for record in present
    }
    reasons, unattached = _attach_failures(report, statements)
    found = []
    for record in present:
        rewritten = tuple(rewrites.get(record.path, ()))
        why = [*reasons.get(record.path, ()), *(_rewrite_reason(status, commit) for status, commit in rewritten)]
        holder = verified.get(record.path)
        statement = statements[record.path]
        found.append(
            RecordEvidence(
                record.path,
                record.sequence,
                record.kind,
                True,
                holder is not None and not why,
                tuple(why),
                statement,
                holder.principal if holder is not None else None,
                added.get(record.path),
                rewritten,
                _reports(tree, model, record.kind, statement),
            )
        )
    gone = {record.path for record in present}
    for path, commit in added.items():
        parsed = parse_record_path(path)
        if path in gone or parsed is None:
            continue
        rewritten = tuple(rewrites.get(path, ()))
        removed = tuple(_rewrite_reason(status, c) for status, c in rewritten) or ("no longer in the repository",)
        found.append(RecordEvidence(path, parsed.sequence, parsed.kind, False, False, removed, None, None, commit, rewritten))
    return sorted(found, key=lambda r: (r.sequence, r.path)), unattached


def out_of_band_edits(model: str, commits: list[CommitInfo]) -> list[OutOfBandEdit]:
    """Commits that changed the model's evidence or deployed manifests without adding a record: not assay's doing."""
    edits = []
    for commit in commits:
        ours = [c for c in commit.changes if _is_evidence(c.path, model)]
        if ours and not any(c.status == "A" and c.path.startswith(records_folder(model) + "/") for c in ours):
            edits.append(OutOfBandEdit(commit, tuple(sorted(c.path for c in ours))))
    return edits


def _is_evidence(path: str, model: str) -> bool:
    parts = path.split("/")
    return path.startswith(f"{EVIDENCE_ROOT}/{model}/") or (len(parts) > 3 and parts[0] == "deploy" and parts[2] == model)


def _history(model: str, commits: list[CommitInfo]) -> tuple[dict[str, CommitInfo], dict[str, list[tuple[str, CommitInfo]]]]:
    added: dict[str, CommitInfo] = {}
    rewrites: dict[str, list[tuple[str, CommitInfo]]] = {}
    prefix = records_folder(model) + "/"
    for commit in commits:
        for change in commit.changes:
            if not change.path.startswith(prefix):
                continue
            if change.status == "A" and change.path not in added:
                added[change.path] = commit
            else:
                rewrites.setdefault(change.path, []).append((change.status, commit))
    return added, rewrites


def _rewrite_reason(status: str, commit: CommitInfo) -> str:
    what = {"D": "deleted", "A": "added again"}.get(status, "rewritten")
    return f"{what} by commit {commit.sha[:12]} ({commit.author_email}, {commit.committed}) after it was committed; records are append-only"


def _attach_failures(
    report: VerificationReport, statements: Mapping[str, Mapping[str, Any] | None]
) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Each failure goes to the record it names, or to every record whose subjects include the failed file."""
    reasons: dict[str, list[str]] = {}
    unattached = []
    for finding in report.failed:
        holders = [finding.path] if finding.path in statements else [p for p, s in statements.items() if _names(s, finding.path)]
        for holder in holders:
            reasons.setdefault(holder, []).append(finding.message if holder == finding.path else f"{finding.path}: {finding.message}")
        if not holders:
            unattached.append((finding.path, finding.message))
    return reasons, unattached


def _names(statement: Mapping[str, Any] | None, path: str) -> bool:
    """Whether a record's subjects include the file at `path` (a published report or a promoted manifest)."""
    if statement is None:
        return False
    fields = record_fields(statement)
    model, digest = fields.get("model"), fields.get("planDigest")
    folder = artifacts_folder(str(model), str(digest)) + "/" if model and digest else None
    for subject in statement.get("subject", []):
        name = subject.get("name") if isinstance(subject, Mapping) else None
        if isinstance(name, str) and (name == path or (folder is not None and folder + name == path)):
            return True
    return False


def _decode(tree: FileTree, path: str) -> dict[str, Any] | None:
    """The statement a record carries, read without checking its signature (shown only as failed)."""
    try:
        envelope = json.loads(tree.read(path).content)
        statement = json.loads(base64.b64decode(envelope["payload"], validate=True))
    except (SourceError, ValueError, KeyError, TypeError):
        return None
    return statement if isinstance(statement, dict) else None


def _reports(tree: FileTree, model: str, kind: str, statement: Mapping[str, Any] | None) -> dict[str, Any]:
    """The published reports a run or monitoring record names, parsed (aggregates only)."""
    if statement is None:
        return {}
    digest = record_fields(statement).get("planDigest")
    folder = artifacts_folder(model, str(digest))
    if kind == "provenance":
        candidates = {name: f"{folder}/reports/{name}.json" for name in REPORTS}
    elif kind == "tests" or kind.startswith(("approval", "promotion")):
        return {}
    else:
        names = [s.get("name", "") for s in statement.get("subject", []) if isinstance(s, Mapping)]
        candidates = {
            str(name).rsplit("/", 1)[-1].removesuffix(".json"): path
            for name in names
            if str(name).endswith(".json")
            for path in (f"{folder}/{name}", f"{EVIDENCE_ROOT}/{model}/{name}", str(name))
            if tree.exists(path)
        }
    return {name: data for name, path in candidates.items() if (data := _json(tree, path)) is not None}


def _json(tree: FileTree, path: str) -> Any:
    if not tree.exists(path):
        return None
    try:
        return json.loads(tree.read(path, _REPORT_LIMITS).content)
    except (SourceError, ValueError):
        return None
