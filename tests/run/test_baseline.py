"""Drift baseline bins and PSI/CSI, including the worked example of docs/drift.md."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.run.baseline import EPSILON, drift_baseline, population_stability
from support import REPO_ROOT

FEATURES: list[dict[str, Any]] = [
    {"name": "utilization", "type": "numeric"},
    {"name": "housing", "type": "categorical"},
    {"name": "channel", "type": "categorical", "categories": ["branch", "online", "broker"]},
    {"name": "autopay", "type": "boolean"},
]


@pytest.fixture(scope="module")
def training() -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n = 2000
    utilization = rng.uniform(0, 1, n)
    utilization[rng.uniform(size=n) < 0.05] = np.nan
    housing = rng.choice(np.array(["own", "rent", "mortgage"], dtype=object), n, p=[0.3, 0.5, 0.2])
    housing[:40] = None
    channel = rng.choice(np.array(["branch", "online", "kiosk"], dtype=object), n, p=[0.4, 0.55, 0.05])
    X = pd.DataFrame({"utilization": utilization, "housing": housing, "channel": channel, "autopay": rng.uniform(size=n) < 0.6})
    return rng.beta(2, 5, n), X


def test_baseline_bins(training: tuple[np.ndarray, pd.DataFrame]) -> None:
    scores, X = training
    baseline = drift_baseline(scores, X, FEATURES, bins=10)
    assert json.loads(json.dumps(baseline, allow_nan=False)) == baseline
    score = baseline["score"]
    assert score["edges"][0] is None and score["edges"][-1] is None and len(score["edges"]) == 11
    assert score["counts"] == [200] * 10 and score["missing"] == {"count": 0, "proportion": 0.0}
    utilization = baseline["features"][0]
    assert sum(utilization["counts"]) + utilization["missing"]["count"] == 2000
    assert utilization["missing"]["count"] == int(X["utilization"].isna().sum())
    housing = baseline["features"][1]
    assert housing["levels"] == ["rent", "own", "mortgage"]  # most frequent first
    assert housing["missing"]["count"] == 40 and housing["other"]["count"] == 0
    channel = baseline["features"][2]
    assert channel["levels"] == ["branch", "online", "broker"]  # the spec's categories, in order
    assert channel["counts"][2] == 0 and channel["other"]["count"] == int((X["channel"] == "kiosk").sum())
    autopay = baseline["features"][3]
    assert sorted(autopay["levels"]) == ["False", "True"] and sum(autopay["counts"]) == 2000


def test_published_edges_reproduce_the_counts(training: tuple[np.ndarray, pd.DataFrame]) -> None:
    scores, X = training
    baseline = drift_baseline(scores, X, FEATURES)
    interior = np.array(baseline["score"]["edges"][1:-1], dtype=float)
    assert all(float(f"{edge:.6g}") == edge for edge in interior)
    assert np.bincount(np.searchsorted(interior, scores, side="right")).tolist() == baseline["score"]["counts"]


def test_identical_distributions_have_zero_psi(training: tuple[np.ndarray, pd.DataFrame]) -> None:
    scores, X = training
    baseline = drift_baseline(scores, X, FEATURES)
    assert population_stability(baseline["score"], scores)["value"] == 0.0
    assert population_stability(baseline["score"], scores)["statistic"] == "psi"
    for entry in baseline["features"]:
        result = population_stability(entry, X[entry["name"]])
        assert result["value"] == 0.0 and result["statistic"] == "csi"
    shuffled = X["housing"].sample(frac=1.0, random_state=1)
    assert population_stability(baseline["features"][1], shuffled)["value"] == 0.0


def test_shift_unseen_levels_and_missing_raise_psi(training: tuple[np.ndarray, pd.DataFrame]) -> None:
    scores, X = training
    baseline = drift_baseline(scores, X, FEATURES)
    assert population_stability(baseline["score"], np.clip(scores + 0.1, 0, 1))["value"] > 0.25
    new = pd.Series(["own", "rent", "caravan", None, "rent"], dtype=object)
    result = population_stability(baseline["features"][1], new)
    assert [b["bucket"] for b in result["buckets"]] == ["rent", "own", "mortgage", "other", "missing"]
    assert [b["actual"] for b in result["buckets"]] == [0.4, 0.2, 0.0, 0.2, 0.2]
    assert result["value"] > 0.25


def test_empty_sides_give_no_value(training: tuple[np.ndarray, pd.DataFrame]) -> None:
    scores, X = training
    result = population_stability(drift_baseline(scores, X, FEATURES)["score"], np.array([]))
    assert result["value"] is None and result["reason"] == "no rows in the new data"


def worked_example() -> list[list[str]]:
    text = (REPO_ROOT / "docs" / "drift.md").read_text()
    table = re.search(r"<!-- psi-worked-example: start -->\n(.*?)<!-- psi-worked-example: end -->", text, re.S)
    assert table is not None
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table.group(1).splitlines()]
    return rows[2:]  # header and alignment rows


def test_worked_example_of_the_docs_is_reproduced() -> None:
    *rows, total = worked_example()
    edges = [None, 0.1, 0.2, 0.3, None]
    baseline = {
        "name": "score",
        "role": "score",
        "type": "numeric",
        "edges": edges,
        "counts": [int(row[1]) for row in rows[:-1]],
        "missing": {"count": int(rows[-1][1])},
    }
    representative = [0.05, 0.15, 0.25, 0.35, math.nan]
    values = np.concatenate([np.full(int(row[3]), value) for row, value in zip(rows, representative, strict=True)])
    result = population_stability(baseline, values)
    assert [b["bucket"] for b in result["buckets"]] == [row[0] for row in rows]
    for bucket, row in zip(result["buckets"], rows, strict=True):
        assert bucket["expected"] == float(row[2].split()[0])
        assert bucket["actual"] == float(row[4])
        assert bucket["contribution"] == float(row[5])
    assert result["value"] == float(total[-1].strip("*"))
    assert result["n"] == int(total[3]) and result["baselineN"] == int(total[1])
    assert result["epsilon"] == EPSILON == 0.0001


def test_levels_are_compared_as_text_with_missing_apart() -> None:
    values = pd.Series([1, "1", "a", None, np.nan, "a", "a", 2.5], dtype=object)
    entry = drift_baseline(np.linspace(0, 1, 8), pd.DataFrame({"c": values}), [{"name": "c", "type": "categorical"}])["features"][0]
    assert (entry["levels"], entry["counts"], entry["n"]) == (["a", "1", "2.5"], [3, 2, 1], 8)
    assert entry["missing"]["count"] == 2 and entry["other"]["count"] == 0
