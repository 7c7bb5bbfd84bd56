"""The model card: every section rendered, spec text kept from breaking tables, missing fields named."""

from __future__ import annotations

from typing import Any

import pytest

from assay.run.model_card import render_model_card
from assay.run.model_file import ModelPackageError

DIGEST = "sha256:" + "ab" * 32


def _spec() -> dict[str, Any]:
    person = {"name": "Ada Example", "email": "ada@examplebank.com"}
    return {
        "metadata": {
            "name": "card-default",
            "version": "1.2.0",
            "title": "Card default | PD",
            "owner": person,
            "developers": [person],
            "validators": [{"name": "Val Idator", "email": "val@examplebank.com"}],
            "riskTier": 1,
            "useCase": "credit-underwriting",
            "status": "validation",
            "restrictions": ["Not for small-business cards"],
        },
        "data": {
            "train": {"uri": "data/train.csv", "sha256": "1" * 64},
            "outOfTime": {"uri": "data/oot.csv", "sha256": "2" * 64},
            "target": {"name": "default_12m", "definition": "90+ days past due\nwithin 12 months"},
        },
        "training": {"estimator": {"class": "HistGradientBoostingClassifier"}},
        "documentation": {
            "purpose": "Approve or decline card applications.",
            "limitations": ["Thin-file applicants | few tradelines\n| injected | row |", "Ends in a backslash \\"],
            "assumptions": ["Through-the-cycle default rates"],
            "conditionsOfNonUse": ["Not for line increases"],
        },
    }


def _full_context() -> dict[str, Any]:
    return {
        "spec": _spec(),
        "plan_digest": DIGEST,
        "metrics": {"test": {"auc": 0.8123, "gini": 0.6246, "counts": {"n": 10}}, "outOfTime": {"auc": 0.79, "gini": None}},
        "gates": [{"metric": "auc", "dataset": "outOfTime", "min": 0.7, "max": None, "value": 0.79, "passed": True}],
        "fairness": {
            "verdict": "pass",
            "attributes": [
                {
                    "name": "sex",
                    "reference": "male",
                    "groups": [
                        {
                            "group": "female",
                            "size": 120,
                            "status": "ok",
                            "metrics": {"adverseImpactRatio": {"value": 0.93, "ci": [0.85, 1.01], "verdict": "pass"}},
                        },
                        {"group": "nonbinary", "size": "insufficient", "status": "insufficient", "metrics": {}},
                    ],
                },
                {  # the shape assay.run.fairness writes: metrics as a list, intervals as {lower, upper}, small sizes bucketed
                    "name": "age",
                    "reference": {"group": "40-61", "size": 300},
                    "verdict": "fail",
                    "groups": [
                        {
                            "group": "62+",
                            "size": 90,
                            "status": "tested",
                            "metrics": [
                                {
                                    "metric": "standardizedMeanDifference",
                                    "value": 0.41,
                                    "confidenceInterval": {"lower": 0.3, "upper": 0.5, "replicates": 200},
                                    "verdict": "fail",
                                }
                            ],
                        },
                        {"group": "<25", "size": None, "sizeBucket": "<30", "status": "insufficient", "metrics": []},
                    ],
                },
            ],
        },
        "explanations": {
            "globalImportance": [{"feature": "utilization", "importance": 0.31}, {"feature": "income", "importance": 0.12}],
            "principalReasons": {"declined": 40, "reasons": [{"reason": "Utilization | too high", "share": 0.5, "firstShare": 0.25}]},
        },
    }


def test_model_card_renders_every_section() -> None:
    card = render_model_card(_full_context())
    for heading in ("Model identity", "Intended use", "Conditions of non-use", "Metrics", "Gates", "Fairness", "Explanations"):
        assert f"## {heading}" in card
    assert "| Plan digest | `" + DIGEST + "` |" in card
    assert "sha256 `" + "2" * 64 + "`" in card
    assert "| Validators | Val Idator (val@examplebank.com) |" in card
    assert "| auc | 0.8123 | 0.7900 |" in card and "| gini | 0.6246 | — |" in card and "counts" not in card
    assert "| auc | outOfTime | 0.7000 | — | 0.7900 | PASS |" in card
    assert "| sex (ref. male) | female | 120 | Adverse impact ratio | 0.9300 | [0.8500, 1.0100] | pass |" in card
    assert "| sex (ref. male) | nonbinary | insufficient | — | — | — | insufficient |" in card
    assert "| age (ref. 40-61) | 62+ | 90 | Standardized mean difference | 0.4100 | [0.3000, 0.5000] | fail |" in card
    assert "| age (ref. 40-61) | &lt;25 | &lt;30 | — | — | — | insufficient |" in card
    assert card.index("| utilization | 0.3100 |") < card.index("| income | 0.1200 |")
    assert "| Utilization \\| too high | 50.0% | 25.0% |" in card
    assert "- Not for line increases" in card and "- Not for small-business cards" in card


def test_model_card_keeps_spec_text_from_breaking_tables() -> None:
    card = render_model_card(_full_context())
    assert "# Model card: Card default \\| PD" in card
    assert "| Target | default_12m: 90+ days past due within 12 months |" in card
    assert "- Thin-file applicants \\| few tradelines \\| injected \\| row \\|" in card
    assert "- Ends in a backslash \\\\" in card
    tables: list[list[int]] = [[]]
    for line in card.splitlines():
        if line.startswith("|"):
            tables[-1].append(line.replace("\\\\", "").replace("\\|", "").count("|"))
        elif tables[-1]:
            tables.append([])
    assert len(tables) > 5
    for cells in tables:
        assert len(set(cells)) <= 1, cells  # every row of a table has the header's number of cells


def test_model_card_without_optional_sections() -> None:
    card = render_model_card({"spec": _spec(), "plan_digest": DIGEST, "metrics": {}, "gates": []})
    assert "No fairness testing was run" in card
    assert "No explanations were computed" in card
    assert "No metrics were computed" in card


def test_model_card_names_a_misspelled_required_field() -> None:
    context = _full_context()
    context["plan_digst"] = context.pop("plan_digest")
    with pytest.raises(ModelPackageError, match="plan_digest"):
        render_model_card(context)
    context = _full_context()
    context["spec"]["documentation"]["purpse"] = context["spec"]["documentation"].pop("purpose")
    with pytest.raises(ModelPackageError, match="purpose"):
        render_model_card(context)
