"""GitHub Actions workflow commands: one `::error file=...,line=...::message` annotation per finding."""

from __future__ import annotations

from assay.check import CheckResult
from assay.diagnostics import Diagnostic, Severity

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(diagnostic: Diagnostic) -> str:
    loc = diagnostic.location
    command = "notice" if diagnostic.waived else _COMMAND[diagnostic.severity]
    properties = [f"file={_escape_property(loc.path)}"]
    if loc.line is not None:
        properties.append(f"line={loc.line}")
    if loc.column is not None:
        properties.append(f"col={loc.column}")
    title = diagnostic.code + (f" {diagnostic.rule.title}" if diagnostic.rule else "")
    properties.append(f"title={_escape_property(title)}")
    message = diagnostic.message
    if diagnostic.hint:
        message += f"\nhint: {diagnostic.hint}"
    if diagnostic.waiver is not None:
        waiver = diagnostic.waiver
        message += (
            f"\nwaived until {waiver.expires} ({waiver.ticket})"
            if waiver.applied
            else f"\nwaiver {waiver.ticket} does not apply: {waiver.rejected_because}"
        )
    return f"::{command} {','.join(properties)}::{_escape_data(message)}"


def render_github(result: CheckResult, *, terminal: bool = False) -> str:
    lines = [_annotation(d) for d in result.diagnostics]
    for change in result.impact or ():
        message = f"proposed policies change this model's verdict: {change.before} -> {change.after}"
        lines.append(f"::notice file={_escape_property(change.path)},title=policy impact::{_escape_data(message)}")
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    lines.append(f"assay: {len(result.files)} files checked, {errors} errors, {warnings} warnings, {result.waived_count} waived")
    return "\n".join(lines) + "\n"
