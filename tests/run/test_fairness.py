"""fairness_report agrees with fairlearn, is deterministic, and never publishes small groups."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fairlearn.metrics import MetricFrame, demographic_parity_ratio, equal_opportunity_difference, selection_rate, true_positive_rate

from assay.run.fairness import fairness_report

THRESHOLD = 0.4
LIMITS = [
    {"metric": "adverseImpactRatio", "min": 0.8},
    {"metric": "standardizedMeanDifference", "max": 0.3},
    {"metric": "equalOpportunityDifference", "max": 0.1},
]
RACE = {"name": "race", "column": "race_proxy", "basis": "race", "reference": "white", "groups": ["black", "hispanic", "asian"]}
SEX = {"name": "sex", "column": "sex_proxy", "basis": "sex", "reference": "male", "groups": ["female"]}
BOOTSTRAP = {"iterations": 100, "confidence": 0.95, "seed": 7}


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    rng = np.random.default_rng(42)
    n = 4000
    race = rng.choice(np.array(["white", "black", "hispanic", "asian", "other"], dtype=object), size=n, p=[0.55, 0.2, 0.18, 0.015, 0.055])
    race[rng.uniform(size=n) < 0.03] = None
    sex = rng.choice(np.array(["male", "female"], dtype=object), size=n)
    sex[:25] = np.nan
    shift = np.where(race == "black", 0.6, np.where(race == "hispanic", 0.15, 0.0))
    scores = 1.0 / (1.0 + np.exp(-(rng.normal(-0.8, 1.0, size=n) + shift)))
    y = (rng.uniform(size=n) < scores).astype(np.int64)
    return {"scores": scores, "y": y, "groups": {"race": race, "sex": sex}}


def report(data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "threshold": THRESHOLD,
        "favorable": "below",
        "metrics": LIMITS,
        "min_group_size": 100,
        "bootstrap": BOOTSTRAP,
    }
    attributes = overrides.pop("attributes", [RACE, SEX])
    options |= overrides
    return fairness_report(data["scores"], data["y"], data["groups"], attributes, **options)


def group_entry(result: dict[str, Any], attribute: str, group: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [g for a in result["attributes"] if a["name"] == attribute for g in a["groups"] if g["group"] == group]
    assert len(entries) == 1
    return entries[0]


def metric(entry: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [m for m in entry["metrics"] if m["metric"] == name]
    assert len(found) == 1
    return found[0]


def close(value: Any, expected: float) -> bool:
    return bool(value == pytest.approx(expected, rel=1e-5, abs=1e-9))


def test_selection_rates_and_ratio_agree_with_fairlearn(data: dict[str, Any]) -> None:
    result = report(data)
    labelled = np.array([label is not None for label in data["groups"]["race"]])
    favorable = (data["scores"] < THRESHOLD).astype(int)
    race = data["groups"]["race"][labelled].astype(str)
    frame = MetricFrame(metrics=selection_rate, y_true=data["y"][labelled], y_pred=favorable[labelled], sensitive_features=race)
    rates = frame.by_group
    race_report = result["attributes"][0]
    assert close(race_report["reference"]["favorableRate"], rates["white"])
    for group in ("black", "hispanic"):
        entry = group_entry(result, "race", group)
        assert close(entry["favorableRate"], rates[group])
        assert close(metric(entry, "adverseImpactRatio")["value"], rates[group] / rates["white"])
        pair = np.isin(race, [group, "white"])
        ratio = demographic_parity_ratio(data["y"][labelled][pair], favorable[labelled][pair], sensitive_features=race[pair])
        assert close(min(metric(entry, "adverseImpactRatio")["value"], 1 / metric(entry, "adverseImpactRatio")["value"]), ratio)


def test_equal_opportunity_difference_agrees_with_fairlearn(data: dict[str, Any]) -> None:
    result = report(data)
    labelled = np.array([label is not None for label in data["groups"]["race"]])
    race = data["groups"]["race"][labelled].astype(str)
    qualified = (data["y"][labelled] == 0).astype(int)  # favorable "below": the actual favorable outcome is no default
    approved = (data["scores"][labelled] < THRESHOLD).astype(int)
    tpr = MetricFrame(metrics=true_positive_rate, y_true=qualified, y_pred=approved, sensitive_features=race).by_group
    for group in ("black", "hispanic"):
        value = metric(group_entry(result, "race", group), "equalOpportunityDifference")["value"]
        assert close(value, tpr["white"] - tpr[group])  # reference minus group: positive = adverse to the group
        pair = np.isin(race, [group, "white"])
        assert close(abs(value), equal_opportunity_difference(qualified[pair], approved[pair], sensitive_features=race[pair]))


def test_standardized_mean_difference_uses_pooled_sd_and_adverse_sign(data: dict[str, Any]) -> None:
    race, scores = data["groups"]["race"], data["scores"]
    group, reference = scores[race == "black"], scores[race == "white"]
    pooled = np.sqrt(
        ((len(group) - 1) * group.var(ddof=1) + (len(reference) - 1) * reference.var(ddof=1)) / (len(group) + len(reference) - 2)
    )
    expected = (group.mean() - reference.mean()) / pooled
    assert expected > 0.3  # black applicants' scores are shifted up: adverse when lower is favorable
    below = metric(group_entry(report(data), "race", "black"), "standardizedMeanDifference")
    assert close(below["value"], expected)
    assert below["verdict"] == "fail"
    above = metric(group_entry(report(data, favorable="above"), "race", "black"), "standardizedMeanDifference")
    assert close(above["value"], -expected)  # higher scores are favorable when selection is above the threshold
    assert above["verdict"] == "pass"


def test_verdicts_and_overall(data: dict[str, Any]) -> None:
    result = report(data)
    black = group_entry(result, "race", "black")
    assert metric(black, "adverseImpactRatio")["value"] < 0.8
    assert metric(black, "adverseImpactRatio")["verdict"] == "fail"
    assert result["attributes"][0]["verdict"] == "fail"
    assert result["verdict"] == "fail"
    lenient = [{"metric": "adverseImpactRatio", "min": 0.1}]
    passing = report(data, metrics=lenient)
    assert passing["verdict"] == "pass"
    assert passing["insufficient"] == [{"attribute": "race", "group": "asian", "reason": "group has fewer than 100 rows"}]


def test_limit_is_inclusive(data: dict[str, Any]) -> None:
    value = metric(group_entry(report(data), "race", "hispanic"), "adverseImpactRatio")["value"]
    exact = report(data, metrics=[{"metric": "adverseImpactRatio", "min": value, "max": value}])
    assert metric(group_entry(exact, "race", "hispanic"), "adverseImpactRatio")["verdict"] == "pass"


def test_small_groups_are_insufficient_and_unpublished(data: dict[str, Any]) -> None:
    result = report(data)
    asian = group_entry(result, "race", "asian")
    assert 0 < int(np.sum(data["groups"]["race"] == "asian")) < 100
    assert asian["status"] == "insufficient"
    assert asian["size"] is None and asian["sizeBucket"] == "<100" and asian["favorableRate"] is None
    assert all(m["value"] is None and m["confidenceInterval"] is None and m["verdict"] == "insufficient" for m in asian["metrics"])
    assert result["attributes"][0]["unlistedLabels"] == {"size": int(np.sum(data["groups"]["race"] == "other")), "sizeBucket": None}


def test_small_reference_makes_every_group_insufficient(data: dict[str, Any]) -> None:
    attribute = {**RACE, "reference": "asian", "groups": ["white", "black"]}
    result = report(data, attributes=[attribute])
    (race,) = result["attributes"]
    assert race["reference"] == {"group": "asian", "size": None, "sizeBucket": "<100", "favorableRate": None}
    assert [g["status"] for g in race["groups"]] == ["insufficient", "insufficient"]
    assert race["groups"][0]["size"] == int(np.sum(data["groups"]["race"] == "white"))  # large enough to publish
    assert race["verdict"] == "insufficient"
    assert result["verdict"] == "insufficient"  # never pass


def test_missing_labels_are_excluded_and_counted(data: dict[str, Any]) -> None:
    result = report(data)
    race, sex = result["attributes"]
    assert race["missingLabels"] == sum(1 for label in data["groups"]["race"] if label is None)
    assert sex["missingLabels"] == 25
    assert sex["reference"]["size"] + group_entry(result, "sex", "female")["size"] == 4000 - 25


def test_bootstrap_is_deterministic_and_seeded_per_group(data: dict[str, Any]) -> None:
    first, second = report(data), report(data)
    assert first == second
    reordered = report(data, attributes=[SEX, RACE])
    assert group_entry(reordered, "race", "black") == group_entry(first, "race", "black")
    other_seed = report(data, bootstrap={**BOOTSTRAP, "seed": 8})
    black, moved = group_entry(first, "race", "black"), group_entry(other_seed, "race", "black")
    assert metric(black, "adverseImpactRatio")["value"] == metric(moved, "adverseImpactRatio")["value"]
    assert metric(black, "adverseImpactRatio")["confidenceInterval"] != metric(moved, "adverseImpactRatio")["confidenceInterval"]


def test_intervals_bracket_the_estimate(data: dict[str, Any]) -> None:
    for group in ("black", "hispanic"):
        for m in group_entry(report(data), "race", group)["metrics"]:
            interval = m["confidenceInterval"]
            assert interval["replicates"] == BOOTSTRAP["iterations"]
            assert interval["lower"] <= m["value"] <= interval["upper"]


def test_json_ready(data: dict[str, Any]) -> None:
    result = report(data)
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    assert result["bootstrap"] == {"method": "stratified percentile", "iterations": 100, "confidence": 0.95, "seed": 7}


def test_bad_settings_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="favorable"):
        report(data, favorable="sideways")
    with pytest.raises(ValueError, match="unknown fairness metrics"):
        report(data, metrics=[{"metric": "accuracyParity", "min": 0.9}])
