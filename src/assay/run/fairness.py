"""Disparate-impact testing at the decision threshold, per protected attribute and group.

Each protected group is compared with its attribute's reference group on the
decisions the threshold makes. Conventions:

- favorable "below": score < threshold is the favorable decision (credit approved)
  and the actual favorable outcome is y == 0; favorable "above": score >= threshold
  is the favorable decision (selected) and the actual favorable outcome is y == 1.
- adverseImpactRatio = favorable rate of the group / favorable rate of the reference.
- standardizedMeanDifference = d * (mean score of group - mean score of reference) / pooled sd,
  pooled sd = sqrt(((n_g - 1) s_g^2 + (n_r - 1) s_r^2) / (n_g + n_r - 2)),
  d = +1 for "below" and -1 for "above": positive means the group's scores sit on the
  unfavorable side of the reference's.
- equalOpportunityDifference = reference minus group of the favorable-decision rate
  among rows whose actual outcome was favorable: positive means the group's qualified
  members receive the favorable decision less often.

So for all three, the adverse direction is fixed: a ratio below 1, a difference above 0.
Confidence intervals are stratified percentile bootstraps (group and reference
resampled separately, sizes fixed), seeded per attribute and group. Verdicts use the
published point estimate; a statistic undefined on the data (a zero reference rate,
zero pooled sd, no favorable outcomes) is None and judged "insufficient". Groups or
references smaller than min_group_size are "insufficient", never "pass", and their
statistics are not published, only a size bucket "<min_group_size".
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.run.fairness_stats import METRICS, BoolArray, Sample, bootstrap, group_statistics, percentile_interval, summarise
from assay.run.metrics import as_labels, as_scores, json_float


def _verdict(value: float | None, limit: dict[str, Any]) -> str:
    if value is None:
        return "insufficient"
    low, high = limit.get("min"), limit.get("max")
    return "pass" if (low is None or value >= low) and (high is None or value <= high) else "fail"


def _normalised_labels(labels: Any) -> tuple[npt.NDArray[np.object_], BoolArray]:
    """Labels as strings (None where missing: None, NaN, pandas NA) and the missing mask."""
    import pandas as pd

    raw = np.asarray(labels, dtype=object)
    missing = np.asarray(pd.isna(raw), dtype=bool)
    text = np.array([None if gone else str(value) for value, gone in zip(raw, missing, strict=True)], dtype=object)
    return text, missing


def _tested_group(group: Sample, reference: Sample, context: dict[str, Any], seed: list[int]) -> dict[str, Any]:
    """Size, favorable rate and each configured metric with its interval and verdict."""
    direction = 1.0 if context["favorable"] == "below" else -1.0
    whole = [summarise(sample, np.arange(sample.scores.shape[0])[np.newaxis, :]) for sample in (group, reference)]
    point = group_statistics(whole[0], whole[1], direction)
    replicates = bootstrap(group, reference, direction, context["iterations"], seed)
    results = []
    for limit in context["metrics"]:
        value = json_float(point[limit["metric"]][0])
        results.append(
            {
                "metric": limit["metric"],
                "value": value,
                "confidenceInterval": percentile_interval(replicates[limit["metric"]], context["confidence"]),
                "min": limit.get("min"),
                "max": limit.get("max"),
                "verdict": _verdict(value, limit),
            }
        )
    size = int(group.scores.shape[0])
    return {
        "status": "tested",
        "reason": None,
        "size": size,
        "sizeBucket": None,
        "favorableRate": json_float(whole[0].rate[0]),
        "metrics": results,
    }


def _untested_group(size: int, reason: str, context: dict[str, Any]) -> dict[str, Any]:
    """An insufficient group: no statistic, its size only as a bucket when it is below the minimum."""
    empty = {"value": None, "confidenceInterval": None}
    metrics = [
        {"metric": m["metric"], **empty, "min": m.get("min"), "max": m.get("max"), "verdict": "insufficient"} for m in context["metrics"]
    ]
    return {
        "status": "insufficient",
        "reason": reason,
        **_published_size(size, context["minGroupSize"]),
        "favorableRate": None,
        "metrics": metrics,
    }


def _attribute_verdict(groups: list[dict[str, Any]]) -> str:
    verdicts = [m["verdict"] for g in groups for m in g["metrics"]]
    if "fail" in verdicts:
        return "fail"
    return "pass" if "pass" in verdicts else "insufficient"


def _group_entry(attribute: dict[str, Any], label: str, group: Sample, reference: Sample, context: dict[str, Any]) -> dict[str, Any]:
    """One protected group: tested against the reference, or insufficient when either is below the minimum."""
    minimum = context["minGroupSize"]
    n_group, n_reference = int(group.scores.shape[0]), int(reference.scores.shape[0])
    if n_group < minimum:
        entry = _untested_group(n_group, f"group has fewer than {minimum} rows", context)
    elif n_reference < minimum:
        entry = _untested_group(n_group, f"reference group has fewer than {minimum} rows", context)
    else:
        seed = [context["seed"], zlib.crc32(str(attribute["name"]).encode()), zlib.crc32(label.encode())]
        entry = _tested_group(group, reference, context, seed)
    return {"group": label, **entry}


def _attribute_report(attribute: dict[str, Any], labels: Any, rows: Sample, context: dict[str, Any]) -> dict[str, Any]:
    """One protected attribute: its reference, each protected group, missing and unlisted counts."""
    text, missing = _normalised_labels(labels)
    if text.shape[0] != rows.scores.shape[0]:
        raise ValueError(f"attribute '{attribute['name']}': {text.shape[0]} labels for {rows.scores.shape[0]} rows")

    def sample(label: str) -> Sample:
        mask = text == label
        return Sample(rows.favorable[mask], rows.scores[mask], rows.good[mask])

    minimum, reference_label = context["minGroupSize"], str(attribute["reference"])
    reference = sample(reference_label)
    groups = [_group_entry(attribute, str(label), sample(str(label)), reference, context) for label in attribute["groups"]]
    listed = {reference_label, *(str(g) for g in attribute["groups"])}
    unlisted = int(sum(1 for value in text if value is not None and value not in listed))
    published = _published_size(int(reference.scores.shape[0]), minimum)
    return {
        "name": attribute["name"],
        "reference": {"group": reference_label, **published, "favorableRate": _rate(reference, minimum)},
        "missingLabels": int(missing.sum()),
        "unlistedLabels": _published_size(unlisted, minimum),
        "verdict": _attribute_verdict(groups),
        "groups": groups,
    }


def _published_size(size: int, minimum: int) -> dict[str, Any]:
    """{size, sizeBucket}: the exact size when zero or at least `minimum`, else only the bucket "<minimum"."""
    small = 0 < size < minimum
    return {"size": None if small else size, "sizeBucket": f"<{minimum}" if small else None}


def _rate(sample: Sample, minimum: int) -> float | None:
    """The favorable rate of a group large enough to publish; None otherwise."""
    return json_float(sample.favorable.mean()) if sample.scores.shape[0] >= minimum else None


def _context(favorable: str, metrics: list[dict[str, Any]], min_group_size: int, bootstrap: dict[str, Any]) -> dict[str, Any]:
    """The validated settings every group's test reads."""
    if favorable not in ("below", "above"):
        raise ValueError(f"favorable must be 'below' or 'above', not {favorable!r}")
    unknown = [m["metric"] for m in metrics if m["metric"] not in METRICS]
    if unknown:
        raise ValueError(f"unknown fairness metrics: {', '.join(unknown)}")
    iterations, confidence, minimum = int(bootstrap["iterations"]), float(bootstrap["confidence"]), int(min_group_size)
    if iterations < 1 or not 0.0 < confidence < 1.0 or minimum < 1:
        raise ValueError("bootstrap iterations and min_group_size must be positive and confidence strictly between 0 and 1")
    context = {"favorable": favorable, "metrics": metrics, "minGroupSize": minimum}
    return context | {"iterations": iterations, "confidence": confidence, "seed": int(bootstrap["seed"])}


def _overall(reports: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The insufficient groups of all attributes, and the overall verdict."""
    insufficient = [
        {"attribute": r["name"], "group": g["group"], "reason": g["reason"]}
        for r in reports
        for g in r["groups"]
        if g["status"] == "insufficient"
    ]
    verdicts = [r["verdict"] for r in reports]
    if "fail" in verdicts:
        return insufficient, "fail"
    return insufficient, "insufficient" if "insufficient" in verdicts or not verdicts else "pass"


def fairness_report(
    scores: Any,
    y: Any,
    groups: dict[str, Any],
    attributes: list[dict[str, Any]],
    *,
    threshold: float,
    favorable: str,
    metrics: list[dict[str, Any]],
    min_group_size: int,
    bootstrap: dict[str, Any],
) -> dict[str, Any]:
    """Fairness of the decisions at `threshold`, JSON-ready.

    Takes event probabilities, 0/1 labels, attribute name -> group label per row
    (None/NaN = missing, excluded and counted), the spec's protectedAttributes
    (name, reference, groups), favorable ("below" | "above"), the spec's fairness
    metrics with min/max, the minimum group size and {iterations, confidence, seed}.
    Gives the settings, one report per attribute (reference, groups with metrics,
    confidence intervals and verdicts), the insufficient groups and an overall
    verdict: "fail" if any metric fails, else "insufficient" if some attribute has
    no passing metric (or there is no attribute), else "pass".
    """
    context = _context(favorable, metrics, min_group_size, bootstrap)
    labels = as_labels(y)
    values = as_scores(scores, labels.shape[0])
    decision = values < threshold if favorable == "below" else values >= threshold
    rows = Sample(decision, values, labels == (0 if favorable == "below" else 1))
    reports = [_attribute_report(a, groups[a["name"]], rows, context) for a in attributes]
    insufficient, overall = _overall(reports)
    settings = {
        "method": "stratified percentile",
        "iterations": context["iterations"],
        "confidence": json_float(context["confidence"]),
        "seed": context["seed"],
    }
    return {
        "threshold": json_float(threshold),
        "favorable": favorable,
        "minGroupSize": context["minGroupSize"],
        "bootstrap": settings | {"seed": context["seed"]},
        "attributes": reports,
        "insufficient": insufficient,
        "verdict": overall,
    }
