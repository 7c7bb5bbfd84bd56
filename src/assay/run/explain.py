"""Explanations: global permutation importance, per-applicant adverse contributions, and
principal-reason frequencies among declined applicants (aggregates only).

Contributions are "adverse": a positive contribution of feature j for applicant i
means j moved i's score towards the unfavorable decision, measured against the
most favorable value ("points-below-max") or the typical value ("mean-deviation")
of j in a reference sample. docs/explanations.md defines both methods, for linear
and non-linear models, and states their limits. Everything here is deterministic.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.run.metrics import as_labels, json_float

FloatArray = npt.NDArray[np.float64]

METHODS = ("points-below-max", "mean-deviation")
MAX_PRINCIPAL_REASONS = 4  # Reg B commentary 9(b)(2)
NUMERIC_CANDIDATES = np.linspace(0.0, 1.0, 11)  # reference quantiles tried as a numeric feature's best value
MAX_LEVEL_CANDIDATES = 20  # most frequent levels tried as a categorical feature's best value
ROW_BUDGET = 200_000  # rows scored per predict call when substituting values


def _event_probability(output: Any) -> FloatArray:
    """The event column of predict_proba output (n x 2), or a 1-d array as it is."""
    values = np.asarray(output, dtype=np.float64)
    return values[:, 1] if values.ndim == 2 else values


class _Scored:
    """A fitted-estimator face for a bare predict_proba callable, for permutation_importance."""

    def __init__(self, predict_proba: Callable[[Any], Any]) -> None:
        self._predict_proba = predict_proba

    def fit(self, X: Any, y: Any) -> _Scored:
        return self

    def predict_proba(self, X: Any) -> Any:
        return self._predict_proba(X)


def _roc_auc(estimator: _Scored, X: Any, y: Any) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, _event_probability(estimator.predict_proba(X))))


def global_importance(predict_proba: Callable[[Any], Any], X: Any, y: Any, *, seed: int, repeats: int = 5) -> list[dict[str, Any]]:
    """Permutation importance of each original column of `X` (held-out data), by ROC AUC.

    Takes a predict_proba callable over DataFrames (n x 2 or event probabilities),
    the held-out frame, its 0/1 labels, the seed and the repeats per column. Gives
    [{feature, importance (mean AUC drop), std, rank}] sorted by importance, largest first
    (ties by feature name).
    """
    from sklearn.inspection import permutation_importance

    labels = as_labels(y)
    result = permutation_importance(_Scored(predict_proba), X, labels, scoring=_roc_auc, n_repeats=repeats, random_state=seed)
    order = sorted(range(X.shape[1]), key=lambda j: (-float(result.importances_mean[j]), str(X.columns[j])))
    return [
        {
            "feature": str(X.columns[j]),
            "importance": json_float(result.importances_mean[j]),
            "std": json_float(result.importances_std[j]),
            "rank": rank,
        }
        for rank, j in enumerate(order, start=1)
    ]


def _column_owner(pipeline: Any) -> list[str]:
    """For each transformed column, the original feature it came from (longest-prefix match for one-hot names)."""
    preprocess = pipeline.named_steps["preprocess"]
    inputs = {name: [str(c) for c in columns] for name, _, columns in preprocess.transformers_ if name != "remainder"}
    owners = []
    for output in preprocess.get_feature_names_out():
        transformer, _, rest = str(output).partition("__")
        columns = inputs.get(transformer, [])
        if rest in columns:
            owners.append(rest)
            continue
        matches = [c for c in columns if rest.startswith(f"{c}_")]
        if not matches:
            raise ValueError(f"cannot map transformed column '{output}' to an input feature")
        owners.append(max(matches, key=len))
    _check_grouped(owners)
    return owners


def _check_grouped(owners: list[str]) -> None:
    """ColumnTransformer keeps each input's outputs together: a feature seen again after another is a mis-mapping."""
    closed: set[str] = set()
    for previous, owner in itertools.pairwise(owners):
        if owner != previous:
            closed.add(previous)
            if owner in closed:
                raise ValueError(f"transformed columns of '{owner}' are not contiguous: feature names are ambiguous")


def _linear_points(pipeline: Any, X: Any, features: list[str]) -> FloatArray:
    """Each feature's additive log-odds term coef . x over its transformed columns (rows x features)."""
    transformed = np.asarray(pipeline[:-1].transform(X), dtype=np.float64)
    coef = np.asarray(pipeline.named_steps["model"].coef_, dtype=np.float64).reshape(-1)
    owners = _column_owner(pipeline)
    membership = np.zeros((len(owners), len(features)))
    for column, owner in enumerate(owners):
        membership[column, features.index(owner)] = 1.0
    points: FloatArray = (transformed * coef) @ membership
    return points


def _linear_contributions(pipeline: Any, X: Any, reference: Any, method: str, sign: float) -> FloatArray:
    features = [str(c) for c in X.columns]
    adverse = sign * _linear_points(pipeline, X, features)
    baseline = sign * _linear_points(pipeline, reference, features)
    anchor = baseline.min(axis=0) if method == "points-below-max" else baseline.mean(axis=0)
    contributions: FloatArray = adverse - anchor
    return contributions


def _is_numeric(column: Any) -> bool:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return bool(is_numeric_dtype(column) and not is_bool_dtype(column))


def _candidates(column: Any, method: str) -> list[Any]:
    """Values tried as the feature's anchor: reference quantiles or frequent levels (typical value only for mean-deviation)."""
    present = column.dropna()
    if present.shape[0] == 0:
        return []
    if _is_numeric(column):
        values = np.asarray(present, dtype=np.float64)
        if method == "mean-deviation":
            return [float(np.quantile(values, 0.5, method="inverted_cdf"))]
        return sorted({float(v) for v in np.quantile(values, NUMERIC_CANDIDATES, method="inverted_cdf")})
    counts = present.value_counts(sort=False)
    levels = sorted(counts.index, key=lambda level: (-int(counts[level]), str(level)))
    return levels[:1] if method == "mean-deviation" else levels[:MAX_LEVEL_CANDIDATES]


def _variant_scores(predict: Callable[[Any], FloatArray], base: Any, variants: list[tuple[int, Any]]) -> FloatArray:
    """Scores of `base` with column j set to value v for every row, per variant (j, v): variants x rows.

    Variants are stacked into few predict calls of at most ROW_BUDGET rows, since a call's overhead dominates.
    """
    m = len(base)
    per_call = max(1, ROW_BUDGET // max(m, 1))
    widened = base.copy()
    for j in sorted({j for j, _ in variants}):
        widened.isetitem(j, widened.iloc[:, j].astype(np.float64 if _is_numeric(base.iloc[:, j]) else object))
    results = []
    for start in range(0, len(variants), per_call):
        chunk = variants[start : start + per_call]
        stacked = widened.iloc[np.tile(np.arange(m), len(chunk))].reset_index(drop=True)
        for k, (j, value) in enumerate(chunk):
            stacked.iloc[k * m : (k + 1) * m, j] = value
        results.append(predict(stacked).reshape(len(chunk), m))
    return np.concatenate(results) if results else np.zeros((0, m))


def _anchors(predict: Callable[[Any], FloatArray], sample: Any, method: str, sign: float) -> dict[int, Any]:
    """Column position -> anchor: the candidate with the lowest mean adverse score over `sample` (partial dependence)."""
    candidates = {j: _candidates(sample.iloc[:, j], method) for j in range(sample.shape[1])}
    searched = [(j, value) for j, values in candidates.items() if len(values) > 1 for value in values]
    means = (sign * _variant_scores(predict, sample, searched)).mean(axis=1)
    anchors = {j: values[0] for j, values in candidates.items() if len(values) == 1}
    for j in sorted({j for j, _ in searched}):
        rows = [k for k, (owner, _) in enumerate(searched) if owner == j]
        anchors[j] = searched[rows[int(np.argmin(means[rows]))]][1]
    return anchors


def _substitution_contributions(pipeline: Any, X: Any, sample: Any, method: str, sign: float) -> FloatArray:
    """Adverse score change when each feature alone is set to its anchor value, rows x features.

    A feature with no observed value in the reference sample has no anchor and contributes 0.
    """

    def predict(frame: Any) -> FloatArray:
        return _event_probability(pipeline.predict_proba(frame))

    anchors = _anchors(predict, sample, method, sign)
    variants = sorted(anchors.items(), key=lambda item: item[0])
    substituted = _variant_scores(predict, X, variants)
    contributions = np.zeros((len(X), X.shape[1]))
    scores = predict(X)
    for k, (j, _) in enumerate(variants):
        contributions[:, j] = sign * (scores - substituted[k])
    return contributions


def feature_contributions(
    pipeline: Any, X: Any, method: str, *, reference: Any = None, favorable: str = "below", seed: int = 0, max_reference_rows: int = 1000
) -> Any:
    """Adverse contribution of each original feature for each row of `X`, as a DataFrame (X's index and columns).

    Takes the fitted Pipeline([preprocess, model]), the rows to explain, the method
    ("points-below-max" | "mean-deviation"), the reference sample that fixes each
    feature's anchor (the training rows; defaults to X), which side of the threshold
    is favorable, and the seed and row cap for the reference sample of non-linear models.
    Linear models (a `coef_` with one row) are explained exactly in log-odds points;
    others by substitution, in probability. See docs/explanations.md.
    """
    import pandas as pd

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if favorable not in ("below", "above"):
        raise ValueError(f"favorable must be 'below' or 'above', not {favorable!r}")
    reference = X if reference is None else reference[list(X.columns)]
    sign = 1.0 if favorable == "below" else -1.0
    model = pipeline.named_steps["model"]
    if hasattr(model, "coef_") and np.asarray(model.coef_).shape[0] == 1:
        values = _linear_contributions(pipeline, X, reference, method, sign)
    else:
        if len(reference) > max_reference_rows:
            chosen = np.sort(np.random.default_rng(seed).choice(len(reference), size=max_reference_rows, replace=False))
            reference = reference.iloc[chosen]
        values = _substitution_contributions(pipeline, X, reference, method, sign)
    return pd.DataFrame(values, index=X.index, columns=list(X.columns))


def _reason_matrix(contributions: FloatArray, feature_names: Sequence[str], reason_text: dict[str, str]) -> tuple[list[str], FloatArray]:
    """Distinct reason texts (first-seen order) and each row's summed contribution per reason."""
    missing = [name for name in feature_names if name not in reason_text]
    if missing:
        raise ValueError(f"no reason text for features: {', '.join(missing)}")
    reasons = list(dict.fromkeys(reason_text[name] for name in feature_names))
    membership = np.zeros((len(feature_names), len(reasons)))
    for j, name in enumerate(feature_names):
        membership[j, reasons.index(reason_text[name])] = 1.0
    summed: FloatArray = contributions @ membership
    return reasons, summed


def principal_reasons(
    contributions: Any,
    feature_names: Sequence[str],
    reason_text: dict[str, str],
    declined_mask: Any,
    max_reasons: int = MAX_PRINCIPAL_REASONS,
) -> dict[str, Any]:
    """How often each adverse-action reason is a principal reason among declined applicants; aggregates only.

    Takes contributions (rows x features, DataFrame or array, positive = adverse), the
    feature names of its columns, feature -> consumer-readable reason, a boolean
    mask of declined rows, and how many reasons each decline states (1..4). For each
    declined row, features with the same reason text are summed into one factor, the
    factors with a positive total are ranked (largest first, ties in first-seen
    order) and the top `max_reasons` are its principal reasons. Gives the number
    declined, those without any adverse factor, and per reason text: its features,
    how often it is principal and how often first (counts and shares). No per-row data.
    """
    if not 1 <= max_reasons <= MAX_PRINCIPAL_REASONS:
        raise ValueError(f"max_reasons must be between 1 and {MAX_PRINCIPAL_REASONS}, not {max_reasons}")
    values = np.asarray(contributions, dtype=np.float64)
    declined = np.asarray(declined_mask, dtype=bool)
    if values.ndim != 2 or values.shape[1] != len(feature_names) or declined.shape != (values.shape[0],):
        raise ValueError("contributions must be rows x features, with one declined flag per row")
    values = values[declined]
    if not np.all(np.isfinite(values)):
        raise ValueError("contributions of declined rows must be finite")
    reasons, summed = _reason_matrix(values, list(feature_names), reason_text)
    order = np.argsort(-summed, axis=1, kind="stable")[:, :max_reasons]
    adverse = np.take_along_axis(summed, order, axis=1) > 0
    principal = np.bincount(order[adverse], minlength=len(reasons))
    first = np.bincount(order[:, 0][adverse[:, 0]], minlength=len(reasons))
    n = int(declined.sum())
    table = _reason_table(reasons, feature_names, reason_text, principal, first, n)
    without = int(n - adverse[:, 0].sum()) if n else 0
    return {"declined": n, "maxReasons": max_reasons, "withoutAdverseFactor": without, "reasons": table}


def _reason_table(
    reasons: list[str], feature_names: Sequence[str], reason_text: dict[str, str], principal: Any, first: Any, n: int
) -> list[dict[str, Any]]:
    """One row per reason text: its features, principal and first counts and shares of `n` declines; most frequent first."""
    table: list[dict[str, Any]] = [
        {
            "reason": text,
            "features": [name for name in feature_names if reason_text[name] == text],
            "principal": int(principal[k]),
            "principalShare": json_float(principal[k] / n) if n else None,
            "first": int(first[k]),
            "firstShare": json_float(first[k] / n) if n else None,
        }
        for k, text in enumerate(reasons)
    ]
    table.sort(key=lambda row: (-row["principal"], -row["first"], row["reason"]))
    return table
