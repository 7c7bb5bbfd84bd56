"""A Timeline as text, Markdown or JSON. Pure: the same timeline gives the same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from assay.audit.inventory import row_data
from assay.audit.model import FAILED, Entry, Timeline
from assay.audit.timeline import commit_data, status_counts

MARK = {"verified": "ok", "failed": "FAILED", "unsigned": "unsigned", "not committed": "uncommitted"}


def short(value: Any, limit: int = 60) -> str:
    """A value on one line, cut to `limit` characters."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def entry_lines(entry: Entry) -> list[str]:
    """The details of an entry, one fact per line, the same for every text format."""
    data = entry.data
    lines: list[str] = []
    if entry.kind == "spec":
        for change in data.get("changes", [])[:12]:
            flag = "material" if change["material"] else "not material"
            lines.append(f"{change['kind']} {change['pointer']} ({flag}): {short(change['before'], 40)} -> {short(change['after'], 40)}")
        verdict = data.get("verdict")
        if verdict:
            lines.append(
                f"policies {verdict['policy_digest'][:12]} as of {verdict['as_of']}: {verdict['outcome']} "
                f"({verdict['errors']} error(s), {verdict['warnings']} warning(s), {verdict['waived']} waived)"
            )
            lines.extend(
                f"  {f['code']} {f['severity']}{' (waived)' if f['waived'] else ''}: {short(f['message'], 100)}"
                for f in verdict["findings"][:8]
            )
    elif entry.kind == "run":
        for dataset, values in data.get("metrics", {}).items():
            lines.append(f"{dataset}: " + ", ".join(f"{name} {value}" for name, value in values.items()))
        for gate in data.get("gates", []):
            bound = f">= {gate['min']}" if gate.get("min") is not None else f"<= {gate['max']}"
            lines.append(f"gate {gate['metric']} on {gate['dataset']} {bound}: {gate['value']} {'passed' if gate['passed'] else 'FAILED'}")
        for row in data.get("fairness", []):
            air = row["metrics"].get("adverseImpactRatio", {})
            lines.append(
                f"fairness {row['attribute']}/{row['group']} vs {row['reference']}: "
                f"AIR {air.get('value')} {air.get('verdict') or row['status']}"
            )
    elif entry.kind in ("tests", "monitor"):
        if data.get("failedTests"):
            lines.append("failed: " + ", ".join(data["failedTests"][:8]))
        if data.get("psi") is not None:
            lines.append(f"score PSI {data['psi']}")
        lines.extend(f"drifting: {name}" for name in data.get("drifting", [])[:8])
    elif entry.kind == "promotion":
        lines.extend(f"manifest {name}" for name in data.get("manifests", []))
    if data.get("signedBy"):
        lines.append(f"signed by {data['signedBy']} at {data.get('issuedAt')}")
    return lines


def _who(entry: Entry) -> str:
    commit = entry.commit
    if commit is None:
        return "not committed"
    signed = f", signature: {commit.signature_status}" if commit.signature != "N" else ", unsigned commit"
    return f"commit {commit.sha[:12]} by {commit.author} <{commit.author_email}>, committed by {commit.committer}{signed}"


def timeline_text(timeline: Timeline) -> str:
    lines = [f"audit of {timeline.model} ({timeline.spec_path}) as of {timeline.as_of}", ""]
    for entry in timeline.entries:
        lines.append(f"{entry.when}  {entry.kind:<9} {MARK.get(entry.status, entry.status):<11} {entry.title}")
        lines.append(f"    {_who(entry)}")
        lines.extend(f"    {path}" for path in entry.evidence if entry.kind != "spec")
        lines.extend(f"    {line}" for line in entry_lines(entry))
        lines.extend(f"    ! {reason}" for reason in entry.reasons if entry.status == FAILED)
    lines.extend(["", summary_line(timeline)])
    lines.extend(f"! {path}: {message}" for path, message in timeline.unattached)
    return "\n".join(lines) + "\n"


def summary_line(timeline: Timeline) -> str:
    counts = status_counts(timeline.entries)
    verdict = "verified" if timeline.verified else "FAILED"
    parts = ", ".join(f"{count} {status}" for status, count in counts.items() if count)
    return f"{timeline.model}: {verdict} ({len(timeline.entries)} event(s): {parts or 'none'})"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def timeline_markdown(timeline: Timeline) -> str:
    lines = [f"# Audit of `{timeline.model}`", "", f"As of {timeline.as_of}. {_md(summary_line(timeline))}", ""]
    if timeline.inventory is not None:
        row = row_data(timeline.inventory)
        lines += ["| field | value |", "|---|---|"]
        lines += [f"| {name} | {_md(short(value, 200) if not isinstance(value, str) else value)} |" for name, value in row.items()]
        lines.append("")
    lines += ["## Timeline", "", "| when | event | status | commit | evidence |", "|---|---|---|---|---|"]
    for entry in timeline.entries:
        commit = f"`{entry.commit.sha[:12]}` {_md(entry.commit.author_email)}" if entry.commit else "not committed"
        evidence = "<br>".join(f"[{path.rsplit('/', 1)[-1]}]({path})" for path in entry.evidence[:6])
        status = f"**{entry.status}**" if entry.status == FAILED else entry.status
        details = "".join(f"<br>{_md(line)}" for line in entry_lines(entry)[:10])
        reasons = "".join(f"<br>⚠ {_md(reason)}" for reason in entry.reasons if entry.status == FAILED)
        lines.append(f"| {entry.when} | **{entry.kind}**: {_md(entry.title)}{details} | {status}{reasons} | {commit} | {evidence} |")
    if timeline.unattached:
        lines += ["", "## Verification failures not tied to one record", ""]
        lines += [f"- `{path}`: {_md(message)}" for path, message in timeline.unattached]
    return "\n".join(lines) + "\n"


def entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "when": entry.when,
        "title": entry.title,
        "status": entry.status,
        "reasons": list(entry.reasons),
        "evidence": list(entry.evidence),
        "commit": commit_data(entry.commit),
        "data": _plain(entry.data),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def timeline_json(timeline: Timeline) -> str:
    data = {
        "model": timeline.model,
        "spec": timeline.spec_path,
        "asOf": timeline.as_of,
        "since": timeline.since,
        "until": timeline.until,
        "verified": timeline.verified,
        "counts": status_counts(timeline.entries),
        "inventory": row_data(timeline.inventory) if timeline.inventory else None,
        "entries": [entry_json(entry) for entry in timeline.entries],
        "unattached": [{"path": path, "message": message} for path, message in timeline.unattached],
    }
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


FORMATS: dict[str, Callable[[Timeline], str]] = {"text": timeline_text, "markdown": timeline_markdown, "json": timeline_json}
