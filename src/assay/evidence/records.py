"""Reading back what assay's statements carry: the record header and the subjects.

`read_record_header` is what verification needs before it can judge a key: which
model, which plan, and the signed time the record claims (`issuedAt`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assay.evidence.errors import StatementError
from assay.evidence.statements import KNOWN_PREDICATE_TYPES, OWN_PREDICATE_TYPES, RECORD_EXTENSION, STATEMENT_TYPE
from assay.evidence.timestamps import parse_timestamp


@dataclass(frozen=True)
class RecordHeader:
    """Who a statement is about and when its signer says it was made."""

    predicate_type: str
    model: str
    plan_digest: str
    issued_at: datetime


def read_record_header(statement: Mapping[str, Any]) -> RecordHeader:
    """The header of a statement assay wrote; StatementError names what is missing or malformed."""
    if statement.get("_type") != STATEMENT_TYPE:
        raise StatementError(f"_type is {statement.get('_type')!r}, not {STATEMENT_TYPE}")
    predicate_type = statement.get("predicateType")
    if predicate_type not in KNOWN_PREDICATE_TYPES:
        raise StatementError(f"predicateType {predicate_type!r} is not one assay writes")
    predicate = statement.get("predicate")
    if not isinstance(predicate, Mapping):
        raise StatementError("predicate is not an object")
    fields = predicate if predicate_type in OWN_PREDICATE_TYPES else predicate.get(RECORD_EXTENSION)
    where = "predicate" if predicate_type in OWN_PREDICATE_TYPES else f"predicate[{RECORD_EXTENSION!r}]"
    if not isinstance(fields, Mapping):
        raise StatementError(f"{where} is missing")
    values = {}
    for name in ("model", "planDigest", "issuedAt"):
        value = fields.get(name)
        if not isinstance(value, str) or not value:
            raise StatementError(f"{where}.{name} is missing")
        values[name] = value
    try:
        issued_at = parse_timestamp(values["issuedAt"])
    except ValueError as error:
        raise StatementError(f"{where}.issuedAt: {error}") from None
    return RecordHeader(str(predicate_type), values["model"], values["planDigest"], issued_at)


def subject_digests(statement: Mapping[str, Any]) -> dict[str, str]:
    """Subject name -> sha256, to re-hash the files a statement names."""
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise StatementError("subject is missing or empty")
    digests: dict[str, str] = {}
    for index, subject in enumerate(subjects):
        name = subject.get("name") if isinstance(subject, Mapping) else None
        digest = subject.get("digest") if isinstance(subject, Mapping) else None
        sha256 = digest.get("sha256") if isinstance(digest, Mapping) else None
        if not isinstance(name, str) or not isinstance(sha256, str):
            raise StatementError(f"subject[{index}] lacks a name or a sha256 digest")
        if name in digests:
            raise StatementError(f"subject {name!r} appears twice")
        digests[name] = sha256
    return digests
