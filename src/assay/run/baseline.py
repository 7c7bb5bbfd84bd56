"""The drift baseline fixed at training time, and population stability against it.

`drift_baseline` bins the training score and each feature once; monitoring later
puts a production batch into the same bins and computes the population stability
index (PSI for the score, CSI for a feature) with `population_stability`.
docs/drift.md gives the formula, the epsilon for empty bins and a worked example.

Numeric bins: edges are the training quantiles, rounded to 6 significant digits
*before* counting (so the published edges reproduce the published counts), ties
merged; bin i holds edges[i] <= value < edges[i+1]; the first and last edges are
-inf and +inf, written as null. NaN goes to a separate missing bucket.
Categorical bins: one per level (the spec's categories when declared, else the
observed levels, most frequent first, at most `max_levels`), "other" for any other
level and "missing". Counts are exact ints; proportions are rounded for reading,
and PSI is computed from the counts.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.run.metrics import json_float

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EPSILON = 0.0001  # replaces an empty bin's proportion (expected or actual) in the PSI sum
MAX_LEVELS = 50


def _missing_mask(values: Any) -> npt.NDArray[np.bool_]:
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool).reshape(-1)


def _share(count: int, n: int) -> dict[str, Any]:
    return {"count": count, "proportion": json_float(count / n) if n else None}


def _present_numbers(values: Any) -> tuple[FloatArray, int, npt.NDArray[np.bool_]]:
    """The non-missing values as float64, the row count, and the missing mask (NaN, None, pandas NA)."""
    array = np.asarray(values)
    if array.dtype.kind in "biuf":  # a numeric column: NaN is its only missing value
        numbers = array.astype(np.float64, copy=False).reshape(-1)
        missing = np.isnan(numbers)
        return numbers[~missing], int(numbers.shape[0]), missing
    missing = _missing_mask(values)
    return np.asarray(np.asarray(values, dtype=object).reshape(-1)[~missing], dtype=np.float64), int(missing.shape[0]), missing


def _numeric_interior(values: FloatArray, bins: int) -> list[float]:
    """Interior edges: the quantiles of `values`, rounded as published, distinct and finite."""
    if values.shape[0] == 0:
        return []
    quantiles = np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    rounded = {json_float(q) for q in quantiles}
    return sorted(q for q in rounded if q is not None)


def _numeric_counts(present: FloatArray, interior: list[float]) -> list[int]:
    """Rows per bin: bin i holds edges[i] <= value < edges[i+1]."""
    index = np.searchsorted(np.asarray(interior, dtype=np.float64), present, side="right")
    return [int(c) for c in np.bincount(index, minlength=len(interior) + 1)]


def _numeric_bins(name: str, role: str, values: Any, bins: int) -> dict[str, Any]:
    present, n, missing = _present_numbers(values)
    interior = _numeric_interior(present, bins)
    counts = _numeric_counts(present, interior)
    return {
        "name": name,
        "role": role,
        "type": "numeric",
        "n": n,
        "edges": [None, *interior, None],
        "counts": counts,
        "proportions": [json_float(c / n) if n else None for c in counts],
        "missing": _share(int(missing.sum()), n),
    }


def _label_counts(values: Any) -> tuple[dict[str, int], int, int]:
    """Rows per label (each value as its str()), the row count and the number missing."""
    import pandas as pd

    series = pd.Series(np.asarray(values, dtype=object).reshape(-1), dtype=object)
    missing = _missing_mask(series)
    labels: dict[str, int] = {}
    for value, count in series[~missing].value_counts(sort=False).items():  # distinct values first, then their text
        labels[str(value)] = labels.get(str(value), 0) + int(count)  # 1 and "1" are one label
    return labels, int(series.shape[0]), int(missing.sum())


def _level_counts(levels: list[str], counts: dict[str, int]) -> tuple[list[int], int]:
    """Count per level, and of present labels outside `levels`."""
    inside = [counts.get(level, 0) for level in levels]
    return inside, sum(counts.values()) - sum(inside)


def _categorical_bins(name: str, values: Any, feature: dict[str, Any], max_levels: int) -> dict[str, Any]:
    seen, n, n_missing = _label_counts(values)
    if feature.get("categories"):
        levels = [str(c) for c in feature["categories"]]
    else:
        levels = sorted(seen, key=lambda level: (-seen[level], level))[:max_levels]
    counts, other = _level_counts(levels, seen)
    return {
        "name": name,
        "role": "feature",
        "type": str(feature["type"]),
        "n": n,
        "levels": levels,
        "counts": counts,
        "proportions": [json_float(c / n) if n else None for c in counts],
        "other": _share(other, n),
        "missing": _share(n_missing, n),
    }


def drift_baseline(scores: Any, X: Any, features: list[dict[str, Any]], *, bins: int = 10, max_levels: int = MAX_LEVELS) -> dict[str, Any]:
    """Binned distributions of the training score and of each feature, JSON-ready.

    Takes the training scores, the training frame, the spec's features (name, type,
    optional categories) and the number of quantile bins. Gives {bins, epsilon,
    score, features: [...]}, each entry with its bins or levels, counts, proportions
    and missing (and "other" for categorical features), ready for population_stability.
    """
    if bins < 2:
        raise ValueError("bins must be at least 2")
    entries = []
    for feature in features:
        column = X[feature["name"]]
        if feature["type"] == "numeric":
            entries.append(_numeric_bins(feature["name"], "feature", column, bins))
        else:
            entries.append(_categorical_bins(feature["name"], column, feature, max_levels))
    return {"bins": bins, "epsilon": EPSILON, "score": _numeric_bins("score", "score", scores, bins), "features": entries}


def _bucket_labels(baseline_bins: dict[str, Any]) -> list[str]:
    """Readable names of every bucket, in order: bins then missing, or levels then other then missing."""
    if baseline_bins["type"] != "numeric":
        return [*baseline_bins["levels"], "other", "missing"]
    edges = ["-inf" if e is None and k == 0 else "+inf" if e is None else repr(e) for k, e in enumerate(baseline_bins["edges"])]
    return [f"[{low}, {high})" for low, high in itertools.pairwise(edges)] + ["missing"]


def _bucket_counts(baseline_bins: dict[str, Any], values: Any) -> tuple[list[int], list[int]]:
    """(expected counts, actual counts) over the same buckets."""
    if baseline_bins["type"] == "numeric":
        present, _, missing = _present_numbers(values)
        actual = [*_numeric_counts(present, [float(e) for e in baseline_bins["edges"][1:-1]]), int(missing.sum())]
        return [*baseline_bins["counts"], baseline_bins["missing"]["count"]], actual
    seen, _, n_missing = _label_counts(values)
    counts, other = _level_counts(list(baseline_bins["levels"]), seen)
    expected = [*baseline_bins["counts"], baseline_bins["other"]["count"], baseline_bins["missing"]["count"]]
    return expected, [*counts, other, n_missing]


def bucket_counts(baseline_bins: dict[str, Any], new_values: Any) -> tuple[list[str], list[int], list[int]]:
    """(bucket names, baseline counts, new counts) over one baseline entry's buckets, as population_stability sees them."""
    expected, actual = _bucket_counts(baseline_bins, new_values)
    return _bucket_labels(baseline_bins), expected, actual


def population_stability(baseline_bins: dict[str, Any], new_values: Any) -> dict[str, Any]:
    """PSI (score) or CSI (feature) of `new_values` against one entry of drift_baseline.

    PSI = sum over buckets of (a - e) * ln(a / e), e = baseline share, a = new share,
    each computed from counts; a share of exactly 0 is replaced by EPSILON (0.0001),
    without renormalising. Gives {name, statistic, value, epsilon, n, baselineN,
    buckets: [{bucket, expected, actual, contribution}]}; value is None (with
    `reason`) when either side has no rows.
    """
    labels = _bucket_labels(baseline_bins)
    expected_counts, actual_counts = _bucket_counts(baseline_bins, new_values)
    n_expected, n_actual = sum(expected_counts), sum(actual_counts)
    statistic = "psi" if baseline_bins["role"] == "score" else "csi"
    result: dict[str, Any] = {"name": baseline_bins["name"], "statistic": statistic, "value": None, "reason": None, "epsilon": EPSILON}
    result |= {"n": n_actual, "baselineN": n_expected, "buckets": []}
    if n_expected == 0 or n_actual == 0:
        result["reason"] = "no rows in the baseline" if n_expected == 0 else "no rows in the new data"
        return result
    total = 0.0
    for label, e_count, a_count in zip(labels, expected_counts, actual_counts, strict=True):
        e = e_count / n_expected or EPSILON
        a = a_count / n_actual or EPSILON
        term = (a - e) * math.log(a / e)
        total += term
        result["buckets"].append(
            {
                "bucket": label,
                "expected": json_float(e_count / n_expected),
                "actual": json_float(a_count / n_actual),
                "contribution": json_float(term),
            }
        )
    result["value"] = json_float(total)
    return result
