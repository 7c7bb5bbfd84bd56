"""The fairness statistics: the three metrics between a group and its reference, and their stratified bootstrap.

Pure numpy over the rows of one group and of its reference (assay.run.fairness
builds the report around them; its docstring gives the conventions). Confidence
intervals are stratified percentile bootstraps: group and reference resampled
separately, sizes fixed, from a generator seeded per attribute and group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.run.metrics import json_float

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

METRICS = ("adverseImpactRatio", "standardizedMeanDifference", "equalOpportunityDifference")
CELLS_PER_CHUNK = 2_000_000  # bootstrap index matrix size held in memory at once


@dataclass(frozen=True)
class Sample:
    """The rows of one group: favorable decision, score, actual favorable outcome."""

    favorable: BoolArray
    scores: FloatArray
    good: BoolArray


@dataclass(frozen=True)
class Summary:
    """Sufficient statistics of one or more (re)samples of a group, one entry per sample."""

    n: FloatArray
    rate: FloatArray
    mean: FloatArray
    var: FloatArray
    good: FloatArray
    favorable_good: FloatArray


def summarise(sample: Sample, index: npt.NDArray[np.int64]) -> Summary:
    """Statistics of the resamples `index` (resamples x rows) of `sample`."""
    favorable, scores, good = sample.favorable[index], sample.scores[index], sample.good[index]
    n = np.full(index.shape[0], float(index.shape[1]))
    var = scores.var(axis=1, ddof=1) if index.shape[1] > 1 else np.full(index.shape[0], np.nan)
    return Summary(
        n, favorable.mean(axis=1), scores.mean(axis=1), var, good.sum(axis=1).astype(float), (favorable & good).sum(axis=1).astype(float)
    )


def group_statistics(group: Summary, reference: Summary, direction: float) -> dict[str, FloatArray]:
    """The three metrics, elementwise over paired summaries; NaN where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        air = np.where(reference.rate > 0, group.rate / reference.rate, np.nan)
        pooled = np.sqrt(((group.n - 1) * group.var + (reference.n - 1) * reference.var) / (group.n + reference.n - 2))
        smd = np.where(pooled > 0, direction * (group.mean - reference.mean) / pooled, np.nan)
        tpr_group = np.where(group.good > 0, group.favorable_good / group.good, np.nan)
        tpr_reference = np.where(reference.good > 0, reference.favorable_good / reference.good, np.nan)
    return {"adverseImpactRatio": air, "standardizedMeanDifference": smd, "equalOpportunityDifference": tpr_reference - tpr_group}


def bootstrap(group: Sample, reference: Sample, direction: float, iterations: int, seed: list[int]) -> dict[str, FloatArray]:
    """Each metric over `iterations` stratified resamples, from a generator seeded with `seed`."""
    rng = np.random.default_rng(seed)
    n_group, n_reference = group.scores.shape[0], reference.scores.shape[0]
    chunk = max(1, CELLS_PER_CHUNK // (n_group + n_reference))
    parts: list[dict[str, FloatArray]] = []
    for start in range(0, iterations, chunk):
        size = min(chunk, iterations - start)
        group_index = rng.integers(0, n_group, size=(size, n_group))
        reference_index = rng.integers(0, n_reference, size=(size, n_reference))
        parts.append(group_statistics(summarise(group, group_index), summarise(reference, reference_index), direction))
    return {name: np.concatenate([part[name] for part in parts]) for name in METRICS}


def percentile_interval(replicates: FloatArray, confidence: float) -> dict[str, Any]:
    """Percentile interval of the defined replicates, and how many were defined."""
    defined = replicates[np.isfinite(replicates)]
    if defined.shape[0] == 0:
        return {"lower": None, "upper": None, "replicates": 0}
    alpha = (1.0 - confidence) / 2.0
    lower, upper = np.quantile(defined, [alpha, 1.0 - alpha])
    return {"lower": json_float(lower), "upper": json_float(upper), "replicates": int(defined.shape[0])}
