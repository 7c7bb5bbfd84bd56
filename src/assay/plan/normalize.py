"""Fill a valid spec's optional settings with their documented defaults.

The plan pins what will run, so an omitted setting appears in it with the value
the runner will use: a default that changes later changes the plan digest.
"""

from __future__ import annotations

import copy
from typing import Any

PREPROCESSING = {
    "numeric": {"impute": "median", "scale": "standard"},
    "categorical": {"impute": "missing-level", "encode": "one-hot"},
}
SPLIT = {"stratify": False}
EVALUATION = {"calibrationBins": 10, "metrics": ["auc", "gini", "ks", "brier", "logLoss"]}
BOOTSTRAP = {"iterations": 200, "confidence": 0.95, "seed": 0}
EXPLAINABILITY = {"reasonMethod": "points-below-max"}
DRIFT_BINS = 10


def _merge(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def normalize_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of `spec` with every default the runner applies written out."""
    result = copy.deepcopy(spec)
    training = result["training"]
    training["preprocessing"] = _merge(PREPROCESSING, training.get("preprocessing", {}))
    training["split"] = _merge(SPLIT, training["split"])
    training["estimator"].setdefault("params", {})
    result["evaluation"] = _merge(EVALUATION, result["evaluation"])
    if "fairness" in result:
        result["fairness"]["bootstrap"] = _merge(BOOTSTRAP, result["fairness"].get("bootstrap", {}))
    if "explainability" in result:
        result["explainability"] = _merge(EXPLAINABILITY, result["explainability"])
    monitoring = result.get("monitoring")
    if monitoring:
        for key in ("score", "features"):
            if key in monitoring:
                monitoring[key].setdefault("bins", DRIFT_BINS)
    return result
