"""evaluate_scores agrees with scikit-learn and scipy; gates are inclusive at both bounds."""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

from assay.run.metrics import check_gates, evaluate_scores, json_float

THRESHOLD = 0.3


@pytest.fixture(scope="module")
def scored() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20260101)
    scores = rng.beta(2.0, 5.0, size=3000)
    y = (rng.uniform(size=3000) < scores).astype(np.int64)
    return y, scores


def close(value: Any, expected: float) -> bool:
    return bool(value == pytest.approx(expected, rel=1e-5, abs=1e-12))


def test_values_equal_scikit_learn(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, scores = scored
    m = evaluate_scores(y, scores, threshold=THRESHOLD)
    predicted = (scores >= THRESHOLD).astype(int)
    auc = roc_auc_score(y, scores)
    assert close(m["auc"], auc)
    assert close(m["gini"], 2 * auc - 1)
    assert close(m["brier"], brier_score_loss(y, scores))
    assert close(m["logLoss"], log_loss(y, scores))
    assert close(m["precision"], precision_score(y, predicted))
    assert close(m["recall"], recall_score(y, predicted))
    assert close(m["accuracy"], accuracy_score(y, predicted))
    assert close(m["averagePrecision"], average_precision_score(y, scores))
    assert m["counts"] == {"n": 3000, "events": int(y.sum())}
    assert m["undefined"] == {}


def test_ks_equals_scipy_two_sample_statistic(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, scores = scored
    m = evaluate_scores(y, scores, threshold=THRESHOLD)
    assert close(m["ks"], ks_2samp(scores[y == 1], scores[y == 0]).statistic)
    # with heavy ties too
    tied = np.round(scores, 1)
    assert close(evaluate_scores(y, tied, threshold=THRESHOLD)["ks"], ks_2samp(tied[y == 1], tied[y == 0]).statistic)


def test_log_loss_clips_certain_scores_like_scikit_learn() -> None:
    y = np.array([0, 1, 1, 0, 1])
    scores = np.array([0.0, 1.0, 0.0, 0.2, 0.9])
    assert close(evaluate_scores(y, scores, threshold=0.5)["logLoss"], log_loss(y, scores))


def test_json_ready_and_rounded(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, scores = scored
    m = evaluate_scores(y, scores, threshold=THRESHOLD)
    text = json.dumps(m, allow_nan=False)
    assert json.loads(text) == m
    assert list(m)[:9] == ["auc", "gini", "ks", "brier", "logLoss", "precision", "recall", "accuracy", "averagePrecision"]
    assert m["auc"] == json_float(roc_auc_score(y, scores))
    assert all(isinstance(row["count"], int) and isinstance(row["events"], int) for row in m["calibration"]["table"])
    assert json_float(float("nan")) is None
    assert json_float(float("inf")) is None
    assert json_float(-0.0) == 0.0
    assert json_float(0.000123456789) == 0.000123457


def test_calibration_bins_are_equal_frequency(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, scores = scored
    calibration = evaluate_scores(y, scores, threshold=THRESHOLD, calibration_bins=5)["calibration"]
    table = calibration["table"]
    assert calibration["bins"] == 5
    assert [row["count"] for row in table] == [600] * 5
    assert sum(row["events"] for row in table) == int(y.sum())
    order = np.sort(scores)
    first = order[:600]
    assert close(table[0]["meanScore"], first.mean())
    assert table[0]["lower"] == json_float(first.min())
    assert table[0]["upper"] == json_float(first.max())
    assert all(a["upper"] <= b["lower"] for a, b in itertools.pairwise(table))


def test_calibration_merges_tied_edges() -> None:
    scores = np.array([0.1] * 80 + [0.9] * 20)
    y = np.array([0] * 72 + [1] * 8 + [1] * 10 + [0] * 10)
    table = evaluate_scores(y, scores, threshold=0.5)["calibration"]["table"]
    assert [(row["count"], row["observedRate"]) for row in table] == [(80, 0.1), (20, 0.5)]


def test_rank_ordering_highest_risk_first(scored: tuple[np.ndarray, np.ndarray]) -> None:
    y, scores = scored
    ranking = evaluate_scores(y, scores, threshold=THRESHOLD)["rankOrdering"]
    deciles = ranking["deciles"]
    assert [d["decile"] for d in deciles] == list(range(1, 11))
    assert all(d["count"] == 300 for d in deciles)
    assert deciles[0]["lower"] >= deciles[1]["upper"]
    assert deciles[-1]["cumulativeEvents"] == int(y.sum())
    assert deciles[-1]["cumulativeCapture"] == 1.0
    top = np.sort(scores)[-300:]
    assert deciles[0]["events"] == int(y[scores >= top.min()].sum())
    assert ranking["monotone"] is (all(b["eventRate"] <= a["eventRate"] for a, b in itertools.pairwise(deciles)))


def test_rank_ordering_detects_a_reversal() -> None:
    scores = np.linspace(0.01, 0.99, 100)
    y = np.zeros(100, dtype=int)
    y[[0, 1, 2, 95]] = 1  # the lowest decile has more events than the ones above it
    assert evaluate_scores(y, scores, threshold=0.5)["rankOrdering"]["monotone"] is False


def test_single_class_metrics_are_none_with_a_reason() -> None:
    scores = np.array([0.1, 0.2, 0.6])
    m = evaluate_scores(np.zeros(3, dtype=int), scores, threshold=0.9)
    assert m["auc"] is None and m["gini"] is None and m["ks"] is None and m["averagePrecision"] is None
    assert m["recall"] is None and m["precision"] is None
    assert set(m["undefined"]) == {"auc", "gini", "ks", "averagePrecision", "recall", "precision"}
    assert m["rankOrdering"]["deciles"][0]["cumulativeCapture"] is None
    json.dumps(m, allow_nan=False)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        evaluate_scores([0, 2], [0.1, 0.2], threshold=0.5)
    with pytest.raises(ValueError, match="probabilities"):
        evaluate_scores([0, 1], [0.1, float("nan")], threshold=0.5)
    with pytest.raises(ValueError, match="2 scores for 3 labels"):
        evaluate_scores([0, 1, 1], [0.1, 0.2], threshold=0.5)


METRICS: dict[str, dict[str, Any]] = {
    "test": {"auc": 0.75, "ks": 0.4, "brier": 0.2, "undefined": {}},
    "outOfTime": {"auc": None, "undefined": {"auc": "only one class present"}},
}


@pytest.mark.parametrize(
    ("gate", "passed"),
    [
        ({"metric": "auc", "dataset": "test", "min": 0.75}, True),
        ({"metric": "auc", "dataset": "test", "min": 0.7500001}, False),
        ({"metric": "brier", "dataset": "test", "max": 0.2}, True),
        ({"metric": "brier", "dataset": "test", "max": 0.1999999}, False),
        ({"metric": "ks", "dataset": "test", "min": 0.4, "max": 0.4}, True),
        ({"metric": "ks", "dataset": "test", "min": 0.3, "max": 0.39}, False),
    ],
)
def test_gates_are_inclusive_at_both_bounds(gate: dict[str, Any], passed: bool) -> None:
    (result,) = check_gates(METRICS, [gate])
    assert result == {
        "metric": gate["metric"],
        "dataset": "test",
        "min": gate.get("min"),
        "max": gate.get("max"),
        "value": METRICS["test"][gate["metric"]],
        "passed": passed,
        "reason": None,
    }


def test_gates_on_missing_values_fail_with_a_reason() -> None:
    results = check_gates(
        METRICS, [{"metric": "auc", "dataset": "outOfTime", "min": 0.6}, {"metric": "ks", "dataset": "validation", "min": 0.2}]
    )
    assert [r["passed"] for r in results] == [False, False]
    assert "only one class present" in results[0]["reason"]
    assert "'validation' was not evaluated" in results[1]["reason"]
    assert check_gates(METRICS, []) == []
