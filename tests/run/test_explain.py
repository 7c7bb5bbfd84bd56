"""Explanations: permutation importance, adverse contributions, and principal-reason aggregates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from assay.run.estimators import build_pipeline
from assay.run.explain import feature_contributions, global_importance, principal_reasons

FEATURES = [
    {"name": "utilization", "type": "numeric", "reason": "Proportion of balances to credit limits is too high"},
    {"name": "income", "type": "numeric", "reason": "Income insufficient for amount of credit requested"},
    {"name": "inquiries", "type": "numeric", "reason": "Too many inquiries in the last 12 months"},
    {"name": "inquiries_6m", "type": "numeric", "reason": "Too many inquiries in the last 12 months"},
    {"name": "housing", "type": "categorical", "reason": "Length of residence"},
]
NAMES = [f["name"] for f in FEATURES]
REASONS = {f["name"]: f["reason"] for f in FEATURES}


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """OpenMP start-up per predict call dominates these small batches; one thread keeps the tests fast."""
    with threadpool_limits(limits=1):
        yield


def make_data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "utilization": rng.uniform(0.0, 1.0, n),
            "income": rng.normal(60.0, 15.0, n),
            "inquiries": rng.poisson(1.0, n).astype(float),
            "inquiries_6m": rng.poisson(0.5, n).astype(float),
            "housing": rng.choice(np.array(["own", "rent", "mortgage_paid", "mortgage"], dtype=object), n),
        }
    )
    logit = -1.5 + 7.0 * (X["utilization"] - 0.5) - 0.01 * (X["income"] - 60) + 0.1 * X["inquiries"] + 0.3 * (X["housing"] == "rent")
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return X, y


def fitted(estimator: str, params: dict[str, Any] | None = None) -> tuple[Any, pd.DataFrame, pd.DataFrame, np.ndarray]:
    spec = {"data": {"features": FEATURES}, "training": {"estimator": {"class": estimator, "params": params or {}}}}
    train_X, train_y = make_data(1500, 1)
    test_X, test_y = make_data(600, 2)
    return build_pipeline(spec, 0).fit(train_X, train_y), train_X, test_X, test_y


@pytest.fixture(scope="module")
def linear() -> tuple[Any, pd.DataFrame, pd.DataFrame, np.ndarray]:
    return fitted("LogisticRegression")


@pytest.fixture(scope="module")
def boosted() -> tuple[Any, pd.DataFrame, pd.DataFrame, np.ndarray]:
    return fitted("HistGradientBoostingClassifier", {"max_iter": 40})


def logit(p: Any) -> Any:
    return np.log(p / (1 - p))


def test_global_importance_ranks_the_dominant_feature_first(linear: Any) -> None:
    pipeline, _, test_X, test_y = linear
    importance = global_importance(pipeline.predict_proba, test_X, test_y, seed=3, repeats=2)
    assert next(row["feature"] for row in importance) == "utilization"
    assert sorted(row["feature"] for row in importance) == sorted(NAMES)  # original columns, not one-hot columns
    assert [row["rank"] for row in importance] == [1, 2, 3, 4, 5]
    values = [row["importance"] for row in importance]
    assert values == sorted(values, reverse=True)
    assert importance == global_importance(pipeline.predict_proba, test_X, test_y, seed=3, repeats=2)
    json.dumps(importance, allow_nan=False)


def test_points_below_max_is_exact_for_a_linear_model(linear: Any) -> None:
    pipeline, train_X, test_X, _ = linear
    contributions = feature_contributions(pipeline, test_X, "points-below-max", reference=train_X)
    assert list(contributions.columns) == NAMES and contributions.index.equals(test_X.index)
    on_train = feature_contributions(pipeline, train_X, "points-below-max", reference=train_X).to_numpy()
    assert np.allclose(on_train.min(axis=0), 0.0)  # the best training value scores zero points below max
    # additive: the difference in log-odds between two applicants is the difference of their contributions
    total = contributions.to_numpy().sum(axis=1)
    log_odds = logit(pipeline.predict_proba(test_X)[:, 1])
    assert np.allclose(total - total[0], log_odds - log_odds[0])


def test_mean_deviation_centres_on_the_reference_and_flips_with_favorable(linear: Any) -> None:
    pipeline, train_X, test_X, _ = linear
    on_train = feature_contributions(pipeline, train_X, "mean-deviation", reference=train_X)
    assert np.allclose(on_train.to_numpy().mean(axis=0), 0.0)
    below = feature_contributions(pipeline, test_X, "mean-deviation", reference=train_X)
    above = feature_contributions(pipeline, test_X, "mean-deviation", reference=train_X, favorable="above")
    assert np.allclose(above.to_numpy(), -below.to_numpy())


@pytest.mark.parametrize("method", ["points-below-max", "mean-deviation"])
@pytest.mark.parametrize("model", ["linear", "boosted"])
def test_dominant_feature_is_the_top_reason(method: str, model: str, request: pytest.FixtureRequest) -> None:
    pipeline, train_X, test_X, _ = request.getfixturevalue(model)
    contributions = feature_contributions(pipeline, test_X, method, reference=train_X, seed=5, max_reference_rows=400)
    declined = pipeline.predict_proba(test_X)[:, 1] >= 0.5
    result = principal_reasons(contributions, NAMES, REASONS, declined, 4)
    assert result["declined"] == int(declined.sum()) > 50
    top = result["reasons"][0]
    assert top["reason"] == REASONS["utilization"]
    assert top["first"] >= 0.85 * result["declined"]
    again = feature_contributions(pipeline, test_X, method, reference=train_X, seed=5, max_reference_rows=400)
    assert again.equals(contributions)  # deterministic


def test_non_linear_contributions_measure_the_score_drop(boosted: Any) -> None:
    pipeline, train_X, test_X, _ = boosted
    contributions = feature_contributions(pipeline, test_X.iloc[:50], "points-below-max", reference=train_X, max_reference_rows=300)
    assert np.all(np.abs(contributions.to_numpy()) <= 1.0)
    assert contributions["utilization"].max() > 0.1


def test_at_most_four_reasons_and_shared_text_counts_once() -> None:
    # rows x [utilization, income, inquiries, inquiries_6m, housing]; the two inquiry features share one reason text
    contributions = np.array(
        [
            [0.1, 0.2, 0.9, 0.8, 0.05],  # inquiries first (0.9 + 0.8), then income, utilization, housing
            [0.5, 0.0, 0.3, 0.3, -0.2],  # inquiries (0.6) first, utilization; income and housing are not adverse
            [-0.1, -0.2, 0.0, 0.0, -0.3],  # nothing adverse
            [9.0, 9.0, 9.0, 9.0, 9.0],  # not declined
        ]
    )
    declined = np.array([True, True, True, False])
    result = principal_reasons(contributions, NAMES, REASONS, declined, 4)
    by_text = {row["reason"]: row for row in result["reasons"]}
    inquiries = by_text[REASONS["inquiries"]]
    assert inquiries["features"] == ["inquiries", "inquiries_6m"]
    assert (inquiries["principal"], inquiries["first"]) == (2, 2)
    assert (by_text[REASONS["utilization"]]["principal"], by_text[REASONS["utilization"]]["first"]) == (2, 0)
    assert by_text[REASONS["income"]]["principal"] == 1
    assert by_text[REASONS["housing"]]["principal"] == 1
    assert result["declined"] == 3 and result["withoutAdverseFactor"] == 1
    assert len(result["reasons"]) == 4  # one row per distinct reason text
    assert inquiries["principalShare"] == pytest.approx(2 / 3, rel=1e-5)
    assert sum(row["principal"] for row in result["reasons"]) <= 4 * result["declined"]
    two = principal_reasons(contributions, NAMES, REASONS, declined, 2)
    assert sum(row["principal"] for row in two["reasons"]) == 4  # rows 1 and 2 give two reasons each
    with pytest.raises(ValueError, match="between 1 and 4"):
        principal_reasons(contributions, NAMES, REASONS, declined, 5)


def test_aggregates_never_contain_rows() -> None:
    rng = np.random.default_rng(9)
    contributions = rng.normal(size=(500, 5))
    declined = rng.uniform(size=500) < 0.4
    result = principal_reasons(pd.DataFrame(contributions, columns=NAMES), NAMES, REASONS, declined, 3)
    assert set(result) == {"declined", "maxReasons", "withoutAdverseFactor", "reasons"}
    assert all(set(row) == {"reason", "features", "principal", "principalShare", "first", "firstShare"} for row in result["reasons"])
    assert all(isinstance(row["principal"], int) and isinstance(row["first"], int) for row in result["reasons"])
    order = rng.permutation(500)
    assert principal_reasons(contributions[order], NAMES, REASONS, declined[order], 3) == result  # only counts, no row order
    assert max(len(row["features"]) for row in result["reasons"]) <= len(NAMES)
    json.dumps(result, allow_nan=False)


def test_missing_reason_text_is_refused() -> None:
    with pytest.raises(ValueError, match="no reason text for features: housing"):
        principal_reasons(np.zeros((2, 5)), NAMES, {k: v for k, v in REASONS.items() if k != "housing"}, np.array([True, False]), 4)


def test_ambiguous_one_hot_names_are_refused_not_misassigned() -> None:
    features = [{"name": "home", "type": "categorical"}, {"name": "home_owner", "type": "categorical"}, {"name": "x", "type": "numeric"}]
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "home": rng.choice(np.array(["owner_x", "rent"], dtype=object), 200),  # "home" + "_owner_x" looks like "home_owner" + "_x"
            "home_owner": rng.choice(np.array(["y", "z"], dtype=object), 200),
            "x": rng.normal(size=200),
        }
    )
    y = (rng.uniform(size=200) < 0.5).astype(np.int64)
    pipeline = build_pipeline({"data": {"features": features}, "training": {"estimator": {"class": "LogisticRegression"}}}, 0).fit(X, y)
    with pytest.raises(ValueError, match="ambiguous"):
        feature_contributions(pipeline, X, "points-below-max")
