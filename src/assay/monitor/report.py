"""The monitoring report of one batch: drift of the score and every feature, data quality, performance, verdict.

Pure: from the verified training run (its baseline, metrics and spec), the scored
batch, the training rows when the local store has them, and the batch's labels when
given, to a JSON-ready dict whose bytes depend on nothing else (no clock, no paths
beyond the batch's file name). The signed record that publishes it carries the time.

The top-level `psi` (of the score) and `csi` (feature -> CSI) are what a timeline
charts; `drifting` names the features at warn or alert, largest statistic first
(`share` is each one's part of the sum over all features).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assay.monitor.drift import column_drift
from assay.monitor.performance import batch_performance
from assay.monitor.thresholds import Level, Thresholds, worst
from assay.run.metrics import json_float

REPORT_KIND = "MonitoringReport"
MODEL_FILE = "package/model.skops"
BASELINE_FILE = "reports/baseline.json"


@dataclass(frozen=True)
class BaselineRun:
    """The latest verified training run of a model: what its signed provenance record vouches for."""

    model: str
    version: str
    plan_digest: str
    record: str
    baseline_path: str
    baseline_sha256: str
    package_sha256: str
    baseline: Mapping[str, Any]
    metrics: Mapping[str, Any]
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class Batch:
    """A production batch: its file name and sha256, its rows (a DataFrame) and the model's scores of them."""

    name: str
    sha256: str
    format: str
    frame: Any
    scores: Any
    window: tuple[str, str, str] | None = None  # (time column, first, last)


@dataclass(frozen=True)
class Reference:
    """The rows the baseline was binned from, for the KS statistic: the training rows (features) and the score's rows' scores.

    `scores` are the held-out test rows' scores for a baseline that names them
    (`rows.score`, decision 0008), the training rows' otherwise; None when not stored.
    """

    frame: Any
    scores: Any


@dataclass(frozen=True)
class Labels:
    """Outcomes of the batch's labelled rows: the column, 0/1 labels, their rows' scores, and how many rows had none."""

    column: str
    values: Any
    scores: Any
    missing: int


def _message(subject: str, result: Mapping[str, Any]) -> str:
    value, statistic = result["value"], result["statistic"]
    if result["level"] == "unmeasured":
        reason = result["undefined"].get("stability" if statistic in ("psi", "csi") else statistic, "not measurable")
        return f"{subject} {statistic} not measured: {reason}"
    return f"{subject} {statistic} {value}"


def _drifting(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    total = sum(f["value"] for f in features if f["value"] is not None)
    moved = [f for f in features if f["level"] in ("warn", "alert")]
    moved.sort(key=lambda f: (-f["value"], f["name"]))
    return [
        {
            "name": f["name"],
            "statistic": f["statistic"],
            "value": f["value"],
            "level": f["level"],
            "share": json_float(f["value"] / total) if total else None,
            "topBucket": f["topBucket"],
        }
        for f in moved
    ]


def _findings(report: Mapping[str, Any], thresholds: Thresholds) -> tuple[list[str], list[str]]:
    alerts: list[str] = []
    warnings: list[str] = []
    entries = [
        ("score", report["score"], thresholds.score),
        *((f"feature {f['name']}", f, thresholds.features) for f in report["features"]),
    ]
    for subject, result, threshold in entries:
        if result["level"] == "alert":
            alerts.append(f"{_message(subject, result)} >= alert {threshold.alert}")
        elif result["level"] == "warn":
            warnings.append(f"{_message(subject, result)} >= warn {threshold.warn}")
        elif result["level"] == "unmeasured":
            warnings.append(_message(subject, result))
    floor = (report["performance"] or {}).get("floor")
    if floor and floor["level"] == "alert":
        alerts.append(f"performance {floor['metric']} {floor['value']} < min {floor['min']}")
    elif floor and floor["level"] == "unmeasured":
        warnings.append(
            f"performance {floor['metric']} not measured: {report['performance']['undefined'].get(floor['metric'], 'undefined')}"
        )
    return alerts, warnings


def _threshold_of_decision(spec: Mapping[str, Any]) -> float:
    return float(spec.get("fairness", {}).get("decisionThreshold", 0.5))


def monitoring_report(
    run: BaselineRun, batch: Batch, reference: Reference | None, labels: Labels | None, thresholds: Thresholds
) -> dict[str, Any]:
    """The report of `batch` against `run`'s baseline, judged by `thresholds` (JSON-ready)."""
    declared = {f["name"]: f for f in run.spec["data"]["features"]}
    score = column_drift(run.baseline["score"], batch.scores, reference.scores if reference else None, thresholds.score)
    features = []
    for entry in run.baseline["features"]:
        name = entry["name"]
        features.append(
            column_drift(
                entry,
                batch.frame[name],
                reference.frame[name] if reference is not None else None,
                thresholds.features,
                declared.get(name, {}).get("range"),
            )
        )
    performance = None
    if labels is not None:
        performance = batch_performance(
            labels.values,
            labels.scores,
            column=labels.column,
            missing_labels=labels.missing,
            metrics=run.metrics,
            threshold=_threshold_of_decision(run.spec),
            calibration_bins=int(run.spec.get("evaluation", {}).get("calibrationBins", 10)),
            floor=thresholds.performance,
        )
    levels: list[Level] = [score["level"], *(f["level"] for f in features)]
    if performance is not None and performance["floor"] is not None:
        levels.append(performance["floor"]["level"])
    window = {"column": batch.window[0], "start": batch.window[1], "end": batch.window[2]} if batch.window else None
    report: dict[str, Any] = {
        "apiVersion": "assay/v1",
        "kind": REPORT_KIND,
        "model": run.model,
        "version": run.version,
        "planDigest": run.plan_digest,
        "baseline": {
            "path": run.baseline_path,
            "sha256": run.baseline_sha256,
            "rows": {"score": run.baseline["score"]["n"], "features": max((f["n"] for f in run.baseline["features"]), default=None)},
            "bins": run.baseline.get("bins"),
        },
        "modelPackage": {"name": MODEL_FILE, "sha256": run.package_sha256},
        "batch": {"name": batch.name, "sha256": batch.sha256, "format": batch.format, "rows": len(batch.frame), "window": window},
        "referenceRows": len(reference.frame) if reference is not None else None,
        "thresholds": thresholds.as_json(),
        "verdict": worst(levels),
        "psi": score["psi"],
        "csi": {f["name"]: f["csi"] for f in features},
        "score": score,
        "features": features,
        "drifting": _drifting(features),
        "performance": performance,
    }
    report["alerts"], report["warnings"] = _findings(report, thresholds)
    return report


def report_tests(report: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(passed, failed, warned) test names of a report, for its signed test-result record.

    `drift:score:<statistic>`, `drift:feature:<name>:<statistic>` and
    `performance:<metric>>=<min>`: ok passes, warn warns, alert fails; a statistic
    that could not be measured warns, with `:unmeasured` appended.
    """
    passed: list[str] = []
    failed: list[str] = []
    warned: list[str] = []

    def place(name: str, level: str) -> None:
        if level == "ok":
            passed.append(name)
        elif level == "alert":
            failed.append(name)
        else:
            warned.append(f"{name}:unmeasured" if level == "unmeasured" else name)

    place(f"drift:score:{report['score']['statistic']}", report["score"]["level"])
    for feature in report["features"]:
        place(f"drift:feature:{feature['name']}:{feature['statistic']}", feature["level"])
    floor = (report.get("performance") or {}).get("floor")
    if floor:
        place(f"performance:{floor['metric']}>={floor['min']}", floor["level"])
    return passed, failed, warned
