"""JSON: the check result as data, documented by schemas/check-report.schema.json."""

from __future__ import annotations

import json
from typing import Any

from assay import __version__
from assay.check import CheckResult
from assay.diagnostics import Diagnostic, Severity

REPORT_VERSION = "assay.check/v1"


def diagnostic_to_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    loc = diagnostic.location
    entry: dict[str, Any] = {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "file": loc.path,
        "line": loc.line,
        "column": loc.column,
        "pointer": loc.pointer,
        "hint": diagnostic.hint,
        "waived": diagnostic.waived,
    }
    if diagnostic.rule is not None:
        entry["rule"] = {
            "id": diagnostic.rule.id,
            "title": diagnostic.rule.title,
            "references": list(diagnostic.rule.references),
        }
    if diagnostic.waiver is not None:
        waiver = diagnostic.waiver
        entry["waiver"] = {
            "applied": waiver.applied,
            "ticket": waiver.ticket,
            "reason": waiver.reason,
            "approver": waiver.approver,
            "expires": waiver.expires,
            "rejectedBecause": waiver.rejected_because,
        }
    return entry


def impact_to_dict(change: Any) -> dict[str, Any]:
    return {
        "model": change.model,
        "file": change.path,
        "before": change.before,
        "after": change.after,
        "newlyDeniedBy": list(change.newly_denied_by),
        "noLongerDeniedBy": list(change.no_longer_denied_by),
    }


def render_json(result: CheckResult, *, terminal: bool = False) -> str:
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "tool": {"name": "assay", "version": __version__},
        "summary": {
            "files": len(result.files),
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "notes": result.count(Severity.NOTE),
            "waived": result.waived_count,
            "passed": result.exit_code == 0,
        },
        "files": list(result.files),
        "diagnostics": [diagnostic_to_dict(d) for d in result.diagnostics],
    }
    if result.trusted_ref is not None:
        report["trustedRef"] = result.trusted_ref
    if result.impact is not None:
        report["policyImpact"] = [impact_to_dict(change) for change in result.impact]
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
