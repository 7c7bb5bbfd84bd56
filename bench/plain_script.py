"""The plain scikit-learn side of bench/run_bench.py: what a data scientist would write for the same fit and evaluation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from assay.run.estimators import build_pipeline


def plain_script(root: Path, spec: dict[str, Any], *, full: bool = True) -> dict[str, float]:
    """What a data scientist would write: read, split, fit, score, measure. Returns the scalar metrics.

    With `full`, the evaluation is the one the issue asks of the runner, in the
    usual scikit-learn and pandas idiom: AUC, Gini, KS, Brier, log loss, average
    precision, precision, recall and accuracy at the decision threshold, a
    calibration table by quantile bin and rank ordering by score decile, then the
    spec's gates. Without it, only AUC, Brier and log loss (the lighter reference).
    """
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import train_test_split

    data = spec["data"]
    categorical = [f["name"] for f in data["features"] if f["type"] != "numeric"]
    categorical += [a["column"] for a in data.get("protectedAttributes", [])]
    features = [f["name"] for f in data["features"]]
    train = pd.read_csv(root / data["train"]["uri"], dtype=dict.fromkeys(categorical, object))
    oot = pd.read_csv(root / data["outOfTime"]["uri"], dtype=dict.fromkeys(categorical, object))
    target, positive = data["target"]["name"], data["target"]["positiveClass"]
    y, y_oot = (train[target] == positive).astype(int).to_numpy(), (oot[target] == positive).astype(int).to_numpy()
    split = spec["training"]["split"]
    rows = np.arange(len(train))
    if split["method"] == "time":
        order = np.argsort(train[data["timeColumn"]].astype("string").to_numpy(), kind="stable")
        cut = len(rows) - math.ceil(len(rows) * split["testSize"])
        fit_rows, test_rows = np.sort(order[:cut]), np.sort(order[cut:])
    else:
        chosen = train_test_split(
            rows, test_size=split["testSize"], random_state=split["seed"], stratify=y if split.get("stratify") else None
        )
        fit_rows, test_rows = np.sort(chosen[0]), np.sort(chosen[1])  # rows in file order, as assay's split keeps them
    pipeline = build_pipeline(spec, int(split["seed"]))
    pipeline.fit(train.iloc[fit_rows][features], y[fit_rows])
    metrics: dict[str, float] = {}
    for name, frame, labels in (("test", train.iloc[test_rows][features], y[test_rows]), ("outOfTime", oot[features], y_oot)):
        scores = pipeline.predict_proba(frame)[:, 1]
        measured = _plain_metrics(labels, scores, spec) if full else _plain_minimal(labels, scores)
        metrics |= {f"{name}.{metric}": value for metric, value in measured.items()}
    if full:
        for gate in spec["evaluation"].get("gates", []):
            value = metrics[f"{gate['dataset']}.{gate['metric']}"]
            _ = gate.get("min", -math.inf) <= value <= gate.get("max", math.inf)
    return metrics


def _plain_minimal(labels: Any, scores: Any) -> dict[str, float]:
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    return {
        "auc": float(roc_auc_score(labels, scores)),
        "brier": float(brier_score_loss(labels, scores)),
        "logLoss": float(log_loss(labels, scores)),
    }


def _plain_metrics(labels: Any, scores: Any, spec: dict[str, Any]) -> dict[str, float]:
    import numpy as np
    import pandas as pd
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        brier_score_loss,
        log_loss,
        precision_score,
        recall_score,
        roc_auc_score,
        roc_curve,
    )

    threshold = float(spec.get("fairness", {}).get("decisionThreshold", 0.5))
    decided = (scores >= threshold).astype(int)
    auc = float(roc_auc_score(labels, scores))
    fpr, tpr, _ = roc_curve(labels, scores)
    calibration_curve(labels, scores, n_bins=spec["evaluation"].get("calibrationBins", 10), strategy="quantile")
    deciles = pd.DataFrame({"event": labels, "decile": pd.qcut(scores, 10, labels=False, duplicates="drop")})
    table = deciles.groupby("decile")["event"].agg(["count", "sum", "mean"]).sort_index(ascending=False)
    table["capture"] = table["sum"].cumsum() / max(int(labels.sum()), 1)
    _ = table["mean"].is_monotonic_decreasing
    return {
        "auc": auc,
        "gini": 2 * auc - 1,
        "ks": float((tpr - fpr).max()),
        "brier": float(brier_score_loss(labels, scores)),
        "logLoss": float(log_loss(labels, scores)),
        "averagePrecision": float(average_precision_score(labels, scores)),
        "precision": float(precision_score(labels, decided, zero_division=np.nan)),  # undefined: NaN, as assay says None
        "recall": float(recall_score(labels, decided, zero_division=np.nan)),
        "accuracy": float(accuracy_score(labels, decided)),
    }


def main(argv: list[str]) -> int:
    """`python bench/plain_script.py ROOT SPEC_JSON`: the plain script in a process of its own (bench/run_fresh_bench.py)."""
    import json

    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    root, spec_file = Path(argv[0]), Path(argv[1])
    plain_script(root, json.loads(spec_file.read_text()))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
