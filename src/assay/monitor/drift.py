"""Drift of one column (the score or a feature) of a production batch against the training baseline.

Pure: from one entry of the signed drift baseline (`assay.run.baseline.drift_baseline`),
the batch's values and, when available, the training rows' values, to a JSON-ready
dict. Four measures, all documented in docs/monitoring.md:

- the population stability index over the baseline's buckets (PSI for the score, CSI
  for a feature; `population_stability`, with its epsilon for empty buckets);
- the Jensen-Shannon distance (base 2, in [0, 1]) between the baseline's and the
  batch's bucket shares, from the counts; empty buckets need no epsilon;
- the two-sample Kolmogorov-Smirnov statistic (scipy `ks_2samp`) between the training
  values and the batch's, numeric columns only, missing values left out; it needs the
  training rows themselves, which only the local store holds;
- data quality: the missing rate (batch and baseline), unseen categories (a level
  outside the baseline's levels; the baseline's `other` share beside it) and values
  outside the spec's declared `range`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from assay.monitor.thresholds import STABILITY, Threshold
from assay.run.baseline import bucket_counts, population_stability
from assay.run.metrics import json_float

UNSEEN_EXAMPLES = 5
NO_REFERENCE = "the training rows are not in the local store (.assay/store); KS needs them"


def _missing(values: Any) -> Any:
    import pandas as pd

    return np.asarray(pd.isna(np.asarray(values, dtype=object)), dtype=bool)


def _rate(count: int, n: int) -> float | None:
    return json_float(count / n) if n else None


def _present_numbers(values: Any) -> Any:
    raw = np.asarray(values, dtype=object)
    return np.asarray(raw[~_missing(raw)], dtype=np.float64)


def jensen_shannon(expected: list[int], actual: list[int]) -> float | None:
    """Jensen-Shannon distance (base 2) between two count vectors over the same buckets; None when a side is empty."""
    from scipy.spatial.distance import jensenshannon

    e, a = np.asarray(expected, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    if e.sum() == 0 or a.sum() == 0:
        return None
    return json_float(float(jensenshannon(e / e.sum(), a / a.sum(), base=2.0)))


def ks_statistic(reference: Any, values: Any) -> float | None:
    """Two-sample KS statistic (sup |F_ref - F_batch|) of the non-missing values; None when a side has none."""
    from scipy.stats import ks_2samp

    ref, new = _present_numbers(reference), _present_numbers(values)
    if ref.shape[0] == 0 or new.shape[0] == 0:
        return None
    return json_float(float(ks_2samp(ref, new).statistic))


def _unseen(entry: Mapping[str, Any], values: Any) -> dict[str, Any]:
    levels = set(entry["levels"])
    raw = np.asarray(values, dtype=object)
    present = [str(v) for v, gone in zip(raw, _missing(raw), strict=True) if not gone]
    outside = [label for label in present if label not in levels]
    n = len(raw)
    return {
        "count": len(outside),
        "rate": _rate(len(outside), n),
        "baselineRate": entry["other"]["proportion"],
        "examples": sorted(set(outside))[:UNSEEN_EXAMPLES],
    }


def _out_of_range(values: Any, declared: Mapping[str, Any]) -> dict[str, Any]:
    present = _present_numbers(values)
    low, high = declared.get("min"), declared.get("max")
    below = int(np.sum(present < low)) if low is not None else 0
    above = int(np.sum(present > high)) if high is not None else 0
    n = len(np.asarray(values, dtype=object))
    return {"range": {"min": low, "max": high}, "below": below, "above": above, "count": below + above, "rate": _rate(below + above, n)}


def _top_bucket(stability: Mapping[str, Any]) -> dict[str, Any] | None:
    buckets = [b for b in stability["buckets"] if b["contribution"] is not None]
    return dict(max(buckets, key=lambda b: b["contribution"])) if buckets else None


def column_drift(
    entry: Mapping[str, Any],
    values: Any,
    reference: Any | None,
    threshold: Threshold,
    declared_range: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Drift of one column against its baseline entry, judged by `threshold`.

    `values` are the batch's values of the column (scores, or a feature's raw
    values), `reference` the training rows' values (None when unavailable),
    `declared_range` the spec's `range` of a numeric feature. The result names the
    judged statistic and its value and level, and carries every measure.
    """
    baseline = dict(entry)
    stability = population_stability(baseline, values)
    _, expected, actual = bucket_counts(baseline, values)
    numeric = baseline["type"] == "numeric"
    undefined: dict[str, str] = {}
    if stability["value"] is None:
        undefined["stability"] = str(stability["reason"])
    ks = None
    if not numeric:
        undefined["ks"] = "KS needs an ordered (numeric) column"
    elif reference is None:
        undefined["ks"] = NO_REFERENCE
    else:
        ks = ks_statistic(reference, values)
        if ks is None:
            undefined["ks"] = "no non-missing values on one side"
    js = jensen_shannon(expected, actual)
    if js is None:
        undefined["jensenShannon"] = "no rows on one side"
    measures = {"stability": stability["value"], "ks": ks, "jensenShannon": js}
    judged = "stability" if threshold.statistic in STABILITY else threshold.statistic
    value = measures.get(judged)
    n = int(sum(actual))
    missing = actual[-1]
    result: dict[str, Any] = {
        "name": baseline["name"],
        "type": baseline["type"],
        "statistic": threshold.statistic,
        "value": value,
        "level": threshold.judge(value),
        stability["statistic"]: stability["value"],
        "ks": ks,
        "jensenShannon": js,
        "n": n,
        "missing": {"count": missing, "rate": _rate(missing, n), "baselineRate": baseline["missing"]["proportion"]},
        "unseenCategories": None if numeric else _unseen(baseline, values),
        "outOfRange": _out_of_range(values, declared_range) if numeric and declared_range else None,
        "topBucket": _top_bucket(stability),
        "buckets": stability["buckets"],
        "epsilon": stability["epsilon"],
        "undefined": dict(sorted(undefined.items())),
    }
    return result
