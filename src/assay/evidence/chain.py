"""The per-model chain of records: where records live, how each names the one before it.

A model's records are `evidence/<model>/records/NNNN-<kind>.dsse.json`, numbered from
0001. Every record's signed statement carries `previous` (the path and sha256 of the
record before it, none for the first), so deleting, reordering or replaying a record
breaks the chain, and verify names where.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assay.evidence.statements import OWN_PREDICATE_TYPES, RECORD_EXTENSION

EVIDENCE_ROOT = "evidence"
_RECORD_NAME = re.compile(r"^(\d{4})-([a-z0-9-]+)\.dsse\.json$")


@dataclass(frozen=True)
class RecordPath:
    """A record's repository path, its sequence number and its kind (provenance, tests, approval-<env>, ...)."""

    path: str
    sequence: int
    kind: str


def records_folder(model: str) -> str:
    return f"{EVIDENCE_ROOT}/{model}/records"


def artifacts_folder(model: str, plan_digest: str) -> str:
    return f"{EVIDENCE_ROOT}/{model}/runs/{plan_digest}"


def monitoring_folder(model: str) -> str:
    """Where monitoring reports of `model` are published: monitoring/<batch sha256>/report.json under it."""
    return f"{EVIDENCE_ROOT}/{model}/monitoring"


def parse_record_path(path: str) -> RecordPath | None:
    name = path.rsplit("/", 1)[-1]
    match = _RECORD_NAME.match(name)
    return RecordPath(path, int(match.group(1)), match.group(2)) if match else None


def ordered_records(paths: list[str]) -> list[RecordPath]:
    """Record files in chain order; files that are not named like records are left out."""
    parsed = [record for record in (parse_record_path(p) for p in paths) if record is not None]
    return sorted(parsed, key=lambda r: (r.sequence, r.path))


def next_record_path(model: str, existing: list[RecordPath], kind: str) -> str:
    sequence = max((r.sequence for r in existing), default=0) + 1
    return f"{records_folder(model)}/{sequence:04d}-{kind}.dsse.json"


def record_fields(statement: Mapping[str, Any]) -> Mapping[str, Any]:
    """The assay fields of a statement (model, planDigest, issuedAt, previous)."""
    predicate = statement.get("predicate", {})
    if statement.get("predicateType") in OWN_PREDICATE_TYPES:
        return predicate if isinstance(predicate, Mapping) else {}
    fields = predicate.get(RECORD_EXTENSION, {}) if isinstance(predicate, Mapping) else {}
    return fields if isinstance(fields, Mapping) else {}


def with_previous(statement: Mapping[str, Any], previous: Mapping[str, str] | None) -> dict[str, Any]:
    """A copy of `statement` whose record fields name the previous record ({path, sha256}) or null."""
    linked = copy.deepcopy(dict(statement))
    predicate = linked["predicate"]
    fields = predicate if linked["predicateType"] in OWN_PREDICATE_TYPES else predicate[RECORD_EXTENSION]
    fields["previous"] = dict(previous) if previous else None
    return linked


def previous_of(statement: Mapping[str, Any]) -> Mapping[str, str] | None:
    value = record_fields(statement).get("previous")
    return value if isinstance(value, Mapping) else None
