"""SARIF 2.1.0 for code-scanning: one run, one rule per code or policy rule, regions at line and column."""

from __future__ import annotations

import json
from typing import Any

from assay import __version__
from assay.check import CheckResult
from assay.diagnostics import Diagnostic, Severity
from assay.diagnostics.codes import describe_code
from assay.report.json_report import impact_to_dict

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/assay-dev/assay"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _rule_id(diagnostic: Diagnostic) -> str:
    return diagnostic.rule.id if diagnostic.rule else diagnostic.code


def _rule(diagnostic: Diagnostic) -> dict[str, Any]:
    if diagnostic.rule is None:
        name, description = describe_code(diagnostic.code)
        return {"id": diagnostic.code, "name": name, "shortDescription": {"text": description}}
    rule = diagnostic.rule
    entry: dict[str, Any] = {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.title},
        "properties": {"references": list(rule.references)},
    }
    if rule.help:
        entry["help"] = {"text": rule.help}
        entry["fullDescription"] = {"text": rule.help}
    return entry


def _location(diagnostic: Diagnostic) -> dict[str, Any]:
    loc = diagnostic.location
    physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path, "uriBaseId": "%SRCROOT%"}}
    if loc.line is not None:
        physical["region"] = {"startLine": loc.line, "startColumn": loc.column or 1}
    location: dict[str, Any] = {"physicalLocation": physical}
    if loc.pointer:
        location["logicalLocations"] = [{"fullyQualifiedName": loc.pointer, "kind": "member"}]
    return location


def _result(diagnostic: Diagnostic, rule_index: int) -> dict[str, Any]:
    text = diagnostic.message + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")
    result: dict[str, Any] = {
        "ruleId": _rule_id(diagnostic),
        "ruleIndex": rule_index,
        "level": _LEVEL[diagnostic.severity],
        "message": {"text": text},
        "locations": [_location(diagnostic)],
        "properties": {"code": diagnostic.code},
    }
    waiver = diagnostic.waiver
    if waiver is not None and waiver.applied:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{waiver.ticket}: {waiver.reason} (approved by {waiver.approver}, expires {waiver.expires})",
            }
        ]
    elif waiver is not None:
        result["properties"]["waiverRejected"] = f"{waiver.ticket}: {waiver.rejected_because}"
    return result


def render_sarif(result: CheckResult, *, terminal: bool = False) -> str:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for diagnostic in result.diagnostics:
        rule_id = _rule_id(diagnostic)
        if rule_id not in index:
            index[rule_id] = len(rules)
            rules.append(_rule(diagnostic))
        results.append(_result(diagnostic, index[rule_id]))
    run_properties: dict[str, Any] = {}
    if result.trusted_ref is not None:
        run_properties["trustedRef"] = result.trusted_ref
    if result.impact is not None:
        run_properties["policyImpact"] = [impact_to_dict(change) for change in result.impact]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "assay", "version": __version__, "informationUri": INFORMATION_URI, "rules": rules}},
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
                "artifacts": [{"location": {"uri": path, "uriBaseId": "%SRCROOT%"}} for path in result.files],
                "results": results,
                **({"properties": run_properties} if run_properties else {}),
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
