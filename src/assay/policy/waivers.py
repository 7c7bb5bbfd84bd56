"""Waivers: accepted findings, for one rule, one model and one pointer scope, until a date.

A waiver applies only while it is well formed, approved, unexpired and within the
bank's maximum horizon. A waiver that does not apply is still shown on the finding
with the reason, and a waived finding is reported as waived, never hidden.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assay.diagnostics import Diagnostic, Location, Severity, WaiverStatus
from assay.load import Document
from assay.policy.model import Waiver


def parse_waivers(document: Document, problems: Sequence[Diagnostic]) -> list[Waiver]:
    """Waivers of a schema-checked document; an entry with schema problems is kept, marked malformed."""
    waivers = []
    entries = document.data.get("waivers", []) if isinstance(document.data, dict) else []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("rule"), str) or not isinstance(entry.get("model"), str):
            continue
        pointer = f"/waivers/{index}"
        mine = [p for p in problems if p.location.pointer == pointer or p.location.pointer.startswith(pointer + "/")]
        line, column = document.source_map.locate(pointer)
        waivers.append(
            Waiver(
                rule=entry["rule"],
                model=entry["model"],
                pointer=str(entry.get("pointer", "")),
                reason=str(entry.get("reason", "")),
                ticket=str(entry.get("ticket", "")),
                approver=str(entry.get("approver", "")),
                approved=str(entry.get("approved", "")),
                expires=str(entry.get("expires", "")),
                location=Location(document.path, line, column, pointer),
                problem=f"it is malformed ({mine[0].message})" if mine else "",
            )
        )
    return waivers


def _covers(waiver: Waiver, diagnostic: Diagnostic, model: str) -> bool:
    pointer = diagnostic.location.pointer
    scope = waiver.pointer
    in_scope = scope in ("", pointer) or pointer.startswith(scope + "/")
    return diagnostic.rule is not None and waiver.rule == diagnostic.rule.id and waiver.model == model and in_scope


def why_not_applied(waiver: Waiver, today: datetime.date, horizon_days: int) -> str:
    """Empty when the waiver applies on `today`; otherwise the reason it does not."""
    if waiver.problem:
        return waiver.problem
    try:
        approved = datetime.date.fromisoformat(waiver.approved)
        expires = datetime.date.fromisoformat(waiver.expires)
    except ValueError as error:
        return f"it has an invalid date ({error})"
    if approved > today:
        return f"it is approved from {waiver.approved}, in the future"
    if expires < today:
        return f"it expired on {waiver.expires}"
    span = (expires - approved).days
    if span > horizon_days:
        return f"it runs {span} days, over the maximum of {horizon_days} days from approval"
    return ""


def apply_waivers(
    diagnostics: Iterable[Diagnostic], model: str, waivers: Sequence[Waiver], today: datetime.date, horizon_days: int
) -> tuple[list[Diagnostic], set[int]]:
    """Attach waiver status to each policy finding; also return the indexes of waivers that were used."""
    result = []
    used: set[int] = set()
    for diagnostic in diagnostics:
        candidates = [(i, w) for i, w in enumerate(waivers) if _covers(w, diagnostic, model)]
        status = None
        for index, waiver in candidates:
            reason = why_not_applied(waiver, today, horizon_days)
            used.add(index)
            status = _status(waiver, reason)
            if not reason:
                break
        result.append(dataclasses.replace(diagnostic, waiver=status) if status else diagnostic)
    return result, used


def _status(waiver: Waiver, reason: str) -> WaiverStatus:
    return WaiverStatus(not reason, waiver.ticket, waiver.reason, waiver.expires, waiver.approver, reason)


def unused_waiver_notes(waivers: Sequence[Waiver], used: set[int], models_checked: Mapping[str, Any]) -> list[Diagnostic]:
    """A note for each waiver of a checked model that matched no finding: it can be removed."""
    notes = []
    for index, waiver in enumerate(waivers):
        if index in used or waiver.model not in models_checked:
            continue
        notes.append(
            Diagnostic(
                "W001",
                Severity.NOTE,
                f"waiver {waiver.ticket or '(no ticket)'} of {waiver.rule} for {waiver.model} matches no finding",
                waiver.location,
                "remove it, or correct its rule, model or pointer",
            )
        )
    return notes
