"""Plain text: `file:line:col: severity code message`, with the source line and a caret on a terminal."""

from __future__ import annotations

from assay.check import CheckResult
from assay.diagnostics import Diagnostic, Severity

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}
_RESET, _BOLD, _DIM = "\033[0m", "\033[1m", "\033[2m"


def render_text(result: CheckResult, *, terminal: bool = False) -> str:
    lines: list[str] = []
    for diagnostic in result.diagnostics:
        lines.append(_headline(diagnostic, terminal))
        if terminal:
            lines.extend(_excerpt(diagnostic, result.sources.get(diagnostic.location.path)))
        if diagnostic.hint:
            lines.append(f"    hint: {diagnostic.hint}")
        if diagnostic.waiver is not None:
            lines.append(f"    {_waiver_line(diagnostic)}")
    lines.extend(impact_lines(result))
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def impact_lines(result: CheckResult) -> list[str]:
    """The policy-impact section: models whose verdict the proposed policies would change."""
    if result.impact is None:
        return []
    if not result.impact:
        return [f"policy impact: the proposed policies change no model's verdict (judged with {result.trusted_ref})"]
    lines = [f"policy impact: the proposed policies change {len(result.impact)} model(s) against {result.trusted_ref}:"]
    for change in result.impact:
        detail = []
        if change.newly_denied_by:
            detail.append("newly denied by " + ", ".join(change.newly_denied_by))
        if change.no_longer_denied_by:
            detail.append("no longer denied by " + ", ".join(change.no_longer_denied_by))
        lines.append(f"  {change.path}: {change.before} -> {change.after} ({'; '.join(detail)})")
    return lines


def _where(diagnostic: Diagnostic) -> str:
    loc = diagnostic.location
    if loc.line is None:
        return loc.path
    return f"{loc.path}:{loc.line}:{loc.column}"


def _headline(diagnostic: Diagnostic, terminal: bool) -> str:
    severity = "waived" if diagnostic.waived else diagnostic.severity.value
    rule = f" [{diagnostic.rule.id}]" if diagnostic.rule and diagnostic.rule.id != diagnostic.code else ""
    if terminal:
        color = _DIM if diagnostic.waived else _COLORS[diagnostic.severity]
        return f"{_BOLD}{_where(diagnostic)}:{_RESET} {color}{severity}{_RESET} {diagnostic.code}{rule} {diagnostic.message}"
    return f"{_where(diagnostic)}: {severity} {diagnostic.code}{rule} {diagnostic.message}"


def _excerpt(diagnostic: Diagnostic, source: bytes | None) -> list[str]:
    loc = diagnostic.location
    if source is None or loc.line is None or loc.column is None:
        return []
    text_lines = source.decode("utf-8", "replace").splitlines()
    if loc.line > len(text_lines):
        return []
    line = text_lines[loc.line - 1].expandtabs(1)
    gutter = f"{loc.line:>5} | "
    return [f"{gutter}{line}", " " * (len(gutter) + loc.column - 1) + "^"]


def _waiver_line(diagnostic: Diagnostic) -> str:
    waiver = diagnostic.waiver
    assert waiver is not None
    if waiver.applied:
        return f"waived by {waiver.approver} until {waiver.expires} ({waiver.ticket}): {waiver.reason}"
    return f"waiver {waiver.ticket} does not apply: {waiver.rejected_because}"


def _summary(result: CheckResult) -> str:
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    files = len(result.files)
    parts = [
        f"{files} file{'s' if files != 1 else ''} checked",
        f"{errors} error{'s' if errors != 1 else ''}",
        f"{warnings} warning{'s' if warnings != 1 else ''}",
    ]
    if result.waived_count:
        parts.append(f"{result.waived_count} waived")
    return ", ".join(parts)
