"""The monitoring report for people: plain text for a terminal, Markdown for a pull request or ticket."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VERDICT = {"ok": "OK", "warn": "WARN", "alert": "ALERT"}
LEVEL = {"ok": "ok", "warn": "WARN", "alert": "ALERT", "unmeasured": "not measured"}
MISSING_SHIFT = 0.05  # a missing rate this far from training's is worth a line (sampling noise is well below it)


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _signed(value: Any) -> str:
    return "" if value is None else f", {value:+.3g}"


def _window(batch: Mapping[str, Any]) -> str:
    window = batch.get("window")
    return f", {window['column']} {window['start']}..{window['end']}" if window else ""


def _others(column: Mapping[str, Any]) -> str:
    """The measures other than the judged one."""
    names = {"psi": "PSI", "csi": "CSI", "ks": "KS", "jensenShannon": "Jensen-Shannon"}
    judged = column["statistic"]
    return ", ".join(f"{label} {_num(column[key])}" for key, label in names.items() if key in column and key != judged)


def _move(top: Mapping[str, Any] | None) -> str:
    if not top:
        return ""
    return f"largest move {top['bucket']}: {_pct(top['expected'])} -> {_pct(top['actual'])}"


def _quality(report: Mapping[str, Any]) -> list[str]:
    """Data-quality lines: missing rates that moved by 5 points (or appeared), unseen categories, out-of-range values."""
    lines = []
    for feature in report["features"]:
        name, missing = feature["name"], feature["missing"]
        baseline_rate = missing["baselineRate"] or 0.0
        if missing["rate"] is not None and (
            abs(missing["rate"] - baseline_rate) >= MISSING_SHIFT or (missing["rate"] and not baseline_rate)
        ):
            lines.append(f"{name}: {_pct(missing['rate'])} missing (training {_pct(missing['baselineRate'])})")
        unseen = feature.get("unseenCategories")
        if unseen and unseen["count"]:
            examples = ", ".join(unseen["examples"])
            lines.append(
                f"{name}: {unseen['count']} unseen categor{'y' if unseen['count'] == 1 else 'ies'} ({_pct(unseen['rate'])}: {examples})"
            )
        outside = feature.get("outOfRange")
        if outside and outside["count"]:
            bounds = outside["range"]
            lines.append(f"{name}: {outside['count']} value(s) outside [{bounds['min']}, {bounds['max']}] ({_pct(outside['rate'])})")
    return lines


def _performance_line(performance: Mapping[str, Any]) -> list[str]:
    metrics, reference, change = performance["metrics"], performance["reference"] or {}, performance["change"] or {}
    calibration = performance["calibration"]
    parts = []
    for name, label in (("auc", "AUC"), ("ks", "KS")):
        parts.append(f"{label} {_num(metrics[name])} (training {_num(reference.get(name))}{_signed(change.get(name))})")
    parts.append(f"observed/expected {_num(calibration['observedToExpected'])} (training {_num(reference.get('observedToExpected'))})")
    head = f"{performance['labels']}: {performance['n']:,} labelled rows, {performance['events']:,} events"
    if performance["missingLabels"]:
        head += f", {performance['missingLabels']:,} without a label"
    lines = [head, "; ".join(parts)]
    floor = performance.get("floor")
    if floor:
        lines.append(f"{floor['metric']} must stay >= {floor['min']}: {_num(floor['value'])}, {LEVEL[floor['level']]}")
    return lines


def render_text(report: Mapping[str, Any]) -> str:
    batch, baseline, score = report["batch"], report["baseline"], report["score"]
    thresholds = report["thresholds"]
    lines = [
        f"{report['model']} {report['version']}: {VERDICT[report['verdict']]}",
        f"  batch     {batch['name']} ({batch['rows']:,} rows{_window(batch)}), sha256 {batch['sha256'][:16]}…",
        f"  baseline  plan {report['planDigest'][:16]}…, {_baseline_rows(baseline)}, sha256 {baseline['sha256'][:16]}…",
        f"  score     {score['statistic'].upper()} {_num(score['value'])} {LEVEL[score['level']]} "
        f"(warn {thresholds['score']['warn']}, alert {thresholds['score']['alert']}); {_others(score)}",
    ]
    features = thresholds["features"]
    if report["drifting"]:
        lines.append(f"  drifting features, by contribution (warn {features['warn']}, alert {features['alert']}):")
        for rank, entry in enumerate(report["drifting"], start=1):
            lines.append(
                f"    {rank}. {entry['name']}: {entry['statistic'].upper()} {_num(entry['value'])} {LEVEL[entry['level']]}, "
                f"{_pct(entry['share'])} of the total; {_move(entry['topBucket'])}"
            )
    else:
        lines.append(f"  features  no feature drifts ({features['statistic'].upper()} below {features['warn']} for all)")
    quality = _quality(report)
    if quality:
        lines.append("  data quality:")
        lines.extend(f"    {line}" for line in quality)
    if report["performance"]:
        lines.append("  performance:")
        lines.extend(f"    {line}" for line in _performance_line(report["performance"]))
    for title, items in (("alerts", report["alerts"]), ("warnings", report["warnings"])):
        if items:
            lines.append(f"  {title}:")
            lines.extend(f"    - {item}" for item in items)
    if report["verdict"] == "alert" and thresholds.get("escalation"):
        lines.append(f"  escalate to {thresholds['escalation']}")
    return "\n".join(lines) + "\n"


def render_markdown(report: Mapping[str, Any]) -> str:
    batch, baseline, score = report["batch"], report["baseline"], report["score"]
    thresholds = report["thresholds"]
    lines = [
        f"## Monitoring: {report['model']} {report['version']}: **{VERDICT[report['verdict']]}**",
        "",
        f"- Batch: `{batch['name']}`, {batch['rows']:,} rows{_window(batch)}, sha256 `{batch['sha256']}`",
        f"- Baseline: plan `{report['planDigest'][:16]}…`, {_baseline_rows(baseline)}, `{baseline['path']}`",
        f"- Score: {score['statistic'].upper()} **{_num(score['value'])}** ({LEVEL[score['level']]}; "
        f"warn {thresholds['score']['warn']}, alert {thresholds['score']['alert']}), "
        f"KS {_num(score['ks'])}, Jensen-Shannon {_num(score['jensenShannon'])}",
    ]
    if report["verdict"] == "alert" and thresholds.get("escalation"):
        lines.append(f"- Escalate to: {thresholds['escalation']}")
    lines += ["", "### Drifting features, by contribution", ""]
    if report["drifting"]:
        lines += ["| # | feature | statistic | value | level | share | largest move |", "|---:|---|---|---:|---|---:|---|"]
        for rank, entry in enumerate(report["drifting"], start=1):
            top = entry["topBucket"]
            move = f"{top['bucket']}: {_pct(top['expected'])} → {_pct(top['actual'])}" if top else ""
            lines.append(
                f"| {rank} | `{entry['name']}` | {entry['statistic']} | {_num(entry['value'])} | {LEVEL[entry['level']]} "
                f"| {_pct(entry['share'])} | {move} |"
            )
    else:
        lines.append("None.")
    lines += [
        "",
        "### Every feature",
        "",
        "| feature | CSI | KS | Jensen-Shannon | missing (training) | level |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for feature in report["features"]:
        missing = feature["missing"]
        lines.append(
            f"| `{feature['name']}` | {_num(feature['csi'])} | {_num(feature['ks'])} | {_num(feature['jensenShannon'])} "
            f"| {_pct(missing['rate'])} ({_pct(missing['baselineRate'])}) | {LEVEL[feature['level']]} |"
        )
    quality = _quality(report)
    if quality:
        lines += ["", "### Data quality", "", *(f"- {line}" for line in quality)]
    if report["performance"]:
        lines += ["", "### Performance", "", *(f"- {line}" for line in _performance_line(report["performance"]))]
    for title, items in (("Alerts", report["alerts"]), ("Warnings", report["warnings"])):
        if items:
            lines += ["", f"### {title}", "", *(f"- {item}" for item in items)]
    return "\n".join(lines) + "\n"


def _baseline_rows(baseline: Mapping[str, Any]) -> str:
    rows = baseline["rows"]
    if rows["features"] is None or rows["features"] == rows["score"]:
        return f"{rows['score']:,} rows"
    return f"score on {rows['score']:,} held-out rows, features on {rows['features']:,} training rows"
