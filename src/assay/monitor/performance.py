"""Performance of the model on a labelled batch, beside the performance it had at training.

Pure: the batch's 0/1 labels and scores are evaluated exactly as the runner
evaluates a dataset (`assay.run.metrics.evaluate_scores`), and compared with the
run's published metrics on its held-out test set (`reports/metrics.json`, bound
into the same signed record as the baseline). Calibration is compared in the
large: the observed event rate over the mean score (1.0 = calibrated; below 1 the
model over-predicts). The spec's `monitoring.performance` floor alerts below `min`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from assay.monitor.thresholds import PerformanceFloor
from assay.run.metrics import evaluate_scores, json_float

REFERENCE_DATASET = "test"
COMPARED = ("auc", "ks", "gini", "brier")
PUBLISHED = ("auc", "gini", "ks", "brier", "logLoss", "averagePrecision", "precision", "recall", "accuracy")


def _ratio(observed: float | None, expected: float | None) -> float | None:
    if observed is None or not expected:
        return None
    return json_float(observed / expected)


def _change(batch: float | None, reference: float | None) -> float | None:
    return None if batch is None or reference is None else json_float(batch - reference)


def reference_performance(metrics: Mapping[str, Any], dataset: str = REFERENCE_DATASET) -> dict[str, Any] | None:
    """AUC, KS, Gini, Brier and calibration in the large of one dataset of a run's metrics.json."""
    found = metrics.get("datasets", {}).get(dataset)
    if not isinstance(found, Mapping):
        return None
    table = found.get("calibration", {}).get("table", [])
    n = sum(int(row["count"]) for row in table)
    mean_score = json_float(sum(float(row["meanScore"]) * int(row["count"]) for row in table) / n) if n else None
    counts = found.get("counts", {})
    observed = json_float(counts["events"] / counts["n"]) if counts.get("n") else None
    result: dict[str, Any] = {"dataset": dataset, **{name: found.get(name) for name in COMPARED}}
    result |= {"meanScore": mean_score, "observedRate": observed, "observedToExpected": _ratio(observed, mean_score)}
    return result


def batch_performance(
    labels: Any,
    scores: Any,
    *,
    column: str,
    missing_labels: int,
    metrics: Mapping[str, Any],
    threshold: float,
    calibration_bins: int,
    floor: PerformanceFloor | None,
) -> dict[str, Any]:
    """The batch's metrics (labels from `column`, rows with a missing label left out), beside the training test set's."""
    evaluated = evaluate_scores(labels, scores, threshold=threshold, calibration_bins=calibration_bins)
    table = evaluated["calibration"]["table"]
    n = int(evaluated["counts"]["n"])
    events = int(evaluated["counts"]["events"])
    mean_score = json_float(float(np.mean(np.asarray(scores, dtype=np.float64))))
    observed = json_float(events / n)
    reference = reference_performance(metrics)
    batch = {name: evaluated[name] for name in PUBLISHED}
    calibration = {"meanScore": mean_score, "observedRate": observed, "observedToExpected": _ratio(observed, mean_score), "table": table}
    change = None
    if reference is not None:
        change = {name: _change(batch[name], reference[name]) for name in COMPARED}
        change["observedToExpected"] = _change(calibration["observedToExpected"], reference["observedToExpected"])
    judged = None
    if floor is not None:
        value = evaluated.get(floor.metric)
        value = value if isinstance(value, float | int) else None
        judged = {**floor.as_json(), "value": value, "level": floor.judge(value)}
    return {
        "labels": column,
        "n": n,
        "events": events,
        "missingLabels": missing_labels,
        "threshold": evaluated["threshold"],
        "metrics": batch,
        "calibration": calibration,
        "reference": reference,
        "change": change,
        "floor": judged,
        "undefined": evaluated["undefined"],
    }
