"""Performance metrics of a scored dataset, and the spec's gates over them.

Pure functions over numpy arrays. `y` is 0/1 with 1 the event (default, fraud,
productive alert, response); `scores` are predicted probabilities of the event.
Every result is JSON-ready: plain floats rounded to 6 significant digits, ints,
strings, lists; a statistic that is undefined on the data is None, and the
result's `undefined` map says why. Gates compare the published (rounded) values,
so anyone re-checking the evidence reaches the same verdict.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SIGNIFICANT_DIGITS = 6
DECILES = 10


def json_float(value: float | np.floating[Any] | None) -> float | None:
    """`value` rounded to 6 significant digits as a plain float; None for None, NaN and ±inf."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return float(f"{number:.{SIGNIFICANT_DIGITS}g}") + 0.0  # + 0.0 turns -0.0 into 0.0


def as_labels(y: Any) -> IntArray:
    """`y` as a 1-d int64 array; ValueError unless every value is 0 or 1."""
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {labels.shape}")
    if labels.dtype == bool:
        return labels.astype(np.int64)
    as_float = labels.astype(np.float64)
    if not np.all((as_float == 0.0) | (as_float == 1.0)):
        raise ValueError("labels must be 0 or 1 (1 = the event)")
    return as_float.astype(np.int64)


def as_scores(scores: Any, n: int | None = None) -> FloatArray:
    """`scores` as a 1-d float64 array of probabilities in [0, 1] (and of length n when given); ValueError otherwise."""
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"scores must be one-dimensional, got shape {values.shape}")
    if n is not None and values.shape[0] != n:
        raise ValueError(f"{values.shape[0]} scores for {n} labels")
    if not np.all(np.isfinite(values)) or np.any(values < 0.0) or np.any(values > 1.0):
        raise ValueError("scores must be finite probabilities in [0, 1]")
    return values


def equal_frequency_bins(values: FloatArray, bins: int) -> tuple[IntArray, int]:
    """Bin index (0..k-1) of each value for up to `bins` equal-frequency bins, and k.

    Interior edges are the quantiles of `values`; tied edges merge, so heavy ties
    give fewer than `bins` bins. Bin i holds edge_i <= value < edge_(i+1).
    """
    interior = np.unique(np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    index = np.searchsorted(interior, values, side="right").astype(np.int64)
    present = np.unique(index)  # an edge equal to the maximum leaves an empty last bin: renumber
    return np.searchsorted(present, index).astype(np.int64), int(present.shape[0])


def _ranking(y: IntArray, scores: FloatArray, undefined: dict[str, str]) -> dict[str, float | None]:
    from sklearn.metrics import auc, average_precision_score, roc_curve

    events = int(y.sum())
    if events == 0 or events == y.shape[0]:
        reason = "only one class present: needs both events and non-events"
        for name in ("auc", "gini", "ks"):
            undefined[name] = reason
        if events == 0:
            undefined["averagePrecision"] = "no events"
        ap = None if events == 0 else float(average_precision_score(y, scores))
        return {"auc": None, "gini": None, "ks": None, "averagePrecision": ap}
    # One ROC curve for both: roc_auc_score is auc() of this very curve, and |TPR - FPR| is linear
    # along the collinear points drop_intermediate removes, so its maximum is on a kept point.
    fpr, tpr, _ = roc_curve(y, scores)
    area = float(auc(fpr, tpr))
    ks = float(np.max(np.abs(tpr - fpr)))
    return {"auc": area, "gini": 2.0 * area - 1.0, "ks": ks, "averagePrecision": float(average_precision_score(y, scores))}


def _at_threshold(y: IntArray, scores: FloatArray, threshold: float, undefined: dict[str, str]) -> dict[str, float | None]:
    predicted = scores >= threshold
    actual = y == 1
    tp = int(np.sum(predicted & actual))
    fp = int(np.sum(predicted & ~actual))
    fn = int(np.sum(~predicted & actual))
    precision = recall = None
    if tp + fp == 0:
        undefined["precision"] = f"no score at or above the threshold {threshold}"
    else:
        precision = tp / (tp + fp)
    if tp + fn == 0:
        undefined["recall"] = "no events"
    else:
        recall = tp / (tp + fn)
    accuracy = float(np.mean(predicted == actual))
    return {"precision": precision, "recall": recall, "accuracy": accuracy}


def _calibration(y: IntArray, scores: FloatArray, bins: int) -> dict[str, Any]:
    index, k = equal_frequency_bins(scores, bins)
    table = []
    for b in range(k):
        inside = index == b
        table.append(
            {
                "bin": b + 1,
                "lower": json_float(scores[inside].min()),
                "upper": json_float(scores[inside].max()),
                "count": int(inside.sum()),
                "events": int(y[inside].sum()),
                "meanScore": json_float(scores[inside].mean()),
                "observedRate": json_float(y[inside].mean()),
            }
        )
    return {"requestedBins": bins, "bins": k, "table": table}


def _rank_ordering(y: IntArray, scores: FloatArray) -> dict[str, Any]:
    index, k = equal_frequency_bins(scores, DECILES)
    total_events = int(y.sum())
    table: list[dict[str, Any]] = []
    cumulative = 0
    rates: list[float] = []
    for position, b in enumerate(range(k - 1, -1, -1), start=1):  # highest scores (highest risk) first
        inside = index == b
        events = int(y[inside].sum())
        cumulative += events
        rates.append(events / int(inside.sum()))
        table.append(
            {
                "decile": position,
                "lower": json_float(scores[inside].min()),
                "upper": json_float(scores[inside].max()),
                "count": int(inside.sum()),
                "events": events,
                "eventRate": json_float(rates[-1]),
                "cumulativeEvents": cumulative,
                "cumulativeCapture": json_float(cumulative / total_events) if total_events else None,
            }
        )
    monotone = all(later <= earlier for earlier, later in itertools.pairwise(rates))
    return {"groups": k, "deciles": table, "monotone": monotone}


def evaluate_scores(y: Any, scores: Any, *, threshold: float, calibration_bins: int = 10) -> dict[str, Any]:
    """Metrics of `scores` against labels `y`, JSON-ready.

    Takes 0/1 labels, event probabilities and the decision threshold (predicted
    event = score >= threshold). Gives auc, gini, ks (max |TPR - FPR|), brier,
    logLoss, precision, recall, accuracy, averagePrecision, the threshold, counts,
    an equal-frequency calibration table, rank ordering by score decile (highest
    risk first, with `monotone`: event rates never increase down the deciles) and
    `undefined` (metric -> why it is None). A bin's lower/upper are the smallest and
    largest score in it; tied scores never straddle two bins, so heavy ties give fewer bins.
    """
    from sklearn.metrics import brier_score_loss, log_loss

    labels = as_labels(y)
    values = as_scores(scores, labels.shape[0])
    if labels.shape[0] == 0:
        raise ValueError("no rows to evaluate")
    if calibration_bins < 1:
        raise ValueError("calibration_bins must be at least 1")
    undefined: dict[str, str] = {}
    ranking = _ranking(labels, values, undefined)
    decisions = _at_threshold(labels, values, threshold, undefined)
    result: dict[str, Any] = {
        "auc": ranking["auc"],
        "gini": ranking["gini"],
        "ks": ranking["ks"],
        "brier": float(brier_score_loss(labels, values)),
        "logLoss": float(log_loss(labels, values, labels=[0, 1])),
        "precision": decisions["precision"],
        "recall": decisions["recall"],
        "accuracy": decisions["accuracy"],
        "averagePrecision": ranking["averagePrecision"],
    }
    result = {name: json_float(value) for name, value in result.items()}
    result["threshold"] = json_float(threshold)
    result["counts"] = {"n": int(labels.shape[0]), "events": int(labels.sum())}
    result["calibration"] = _calibration(labels, values, calibration_bins)
    result["rankOrdering"] = _rank_ordering(labels, values)
    result["undefined"] = dict(sorted(undefined.items()))
    return result


def check_gates(metrics_by_dataset: dict[str, dict[str, Any]], gates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each gate of the spec judged on the published metrics, in the gates' order.

    Takes dataset name -> `evaluate_scores` result, and the spec's gates
    ({metric, dataset, min?, max?}, both bounds inclusive). Gives one
    {metric, dataset, min, max, value, passed, reason} per gate; a gate whose
    dataset or value is missing fails, and `reason` says why (None when judged).
    """
    results = []
    for gate in gates:
        low, high = gate.get("min"), gate.get("max")
        dataset = metrics_by_dataset.get(gate["dataset"])
        value = None if dataset is None else dataset.get(gate["metric"])
        reason = None
        if dataset is None:
            reason = f"dataset '{gate['dataset']}' was not evaluated"
        elif value is None:
            why = dataset.get("undefined", {}).get(gate["metric"], "not computed")
            reason = f"{gate['metric']} is undefined on {gate['dataset']}: {why}"
        passed = value is not None and (low is None or value >= low) and (high is None or value <= high)
        results.append(
            {
                "metric": gate["metric"],
                "dataset": gate["dataset"],
                "min": low,
                "max": high,
                "value": value,
                "passed": passed,
                "reason": reason,
            }
        )
    return results
