"""The model-side steps: fit, evaluate, fairness, explain, baseline, package."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
from typing import Any

from assay.run.steps import MODEL, SPLIT_TEST, SPLIT_TRAIN, RunFailed, StepContext, data_artifact, features_of, table

PACKAGE = "package/"
MODEL_CARD = "reports/model-card.md"
METRICS = "reports/metrics.json"
FAIRNESS = "reports/fairness.json"
EXPLANATIONS = "reports/explanations.json"
BASELINE = "reports/baseline.json"


def _threshold(spec: dict[str, Any]) -> float:
    return float(spec.get("fairness", {}).get("decisionThreshold", 0.5))


def scores_artifact(dataset: str) -> str:
    return f"scores/{dataset}"


def step_fit(ctx: StepContext) -> list[str]:
    """Fit the allowlisted estimator in its preprocessing pipeline, with the optional search, on the training rows."""
    from assay.run.estimators import EstimatorRefused, build_pipeline
    from assay.run.model_file import model_bytes

    try:
        pipeline = build_pipeline(ctx.spec, ctx.seed)
    except EstimatorRefused as error:
        raise RunFailed(str(error)) from error
    X, y = features_of(ctx, SPLIT_TRAIN)
    search = ctx.spec["training"].get("search")
    if search:
        pipeline = _searched(pipeline, search, ctx.seed).fit(X, y).best_estimator_
    else:
        pipeline.fit(X, y)
    ctx.write_bytes(MODEL, model_bytes(pipeline))
    ctx.workspace.remember(f"model:{MODEL}", pipeline)
    return [MODEL]


def _searched(pipeline: Any, search: dict[str, Any], seed: int) -> Any:
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold

    space = {f"model__{name}": values for name, values in sorted(search["space"].items())}
    folds = StratifiedKFold(n_splits=search["folds"], shuffle=True, random_state=seed)
    scoring = search.get("scoring", "roc_auc")
    if search["method"] == "grid":
        return GridSearchCV(pipeline, space, cv=folds, scoring=scoring, n_jobs=1)
    return RandomizedSearchCV(
        pipeline, space, n_iter=search.get("iterations", 10), cv=folds, scoring=scoring, random_state=search.get("seed", seed), n_jobs=1
    )


def model(ctx: StepContext) -> Any:
    """The fitted pipeline: the object fit made in this process, else loaded from `model/estimator` (trusted types only)."""

    def load() -> Any:
        from assay.run.model_file import load_trusted_model

        return load_trusted_model(ctx.input_path(MODEL))

    ctx.input_path(MODEL)
    return ctx.workspace.cached(f"model:{MODEL}", load)


def predicted(ctx: StepContext, name: str) -> Any:
    """The model's event probabilities for the rows of the artifact `name`."""

    def compute() -> Any:
        X, _ = features_of(ctx, name)
        return model(ctx).predict_proba(X)[:, 1]

    return ctx.workspace.cached(f"predicted:{name}", compute)


def saved_scores(ctx: StepContext, dataset: str) -> Any:
    """The scores evaluate wrote for `dataset`, as float64."""
    import io

    import numpy as np

    name = scores_artifact(dataset)
    ctx.input_path(name)
    return ctx.workspace.cached(f"array:{name}", lambda: np.load(io.BytesIO(ctx.read_bytes(name)), allow_pickle=False))


def step_evaluate(ctx: StepContext) -> list[str]:
    """Metrics on the test and out-of-time sets, the spec's gates, and the scores behind them."""
    import numpy as np

    from assay.run.metrics import check_gates, evaluate_scores

    threshold = _threshold(ctx.spec)
    bins = ctx.spec["evaluation"].get("calibrationBins", 10)
    datasets = {"test": SPLIT_TEST}
    if "outOfTime" in ctx.spec["data"]:
        datasets["outOfTime"] = data_artifact("outOfTime")
    metrics, outputs = {}, [METRICS]
    for dataset, name in datasets.items():
        _, y = features_of(ctx, name)
        scores = np.asarray(predicted(ctx, name), dtype="<f8")
        metrics[dataset] = evaluate_scores(y, scores, threshold=threshold, calibration_bins=bins)
        ctx.write_bytes(scores_artifact(dataset), _npy(scores))
        ctx.workspace.remember(f"array:{scores_artifact(dataset)}", scores)
        outputs.append(scores_artifact(dataset))
    gates = check_gates(metrics, ctx.spec["evaluation"].get("gates", []))
    report = {"threshold": threshold, "datasets": metrics, "gates": gates, "passed": all(g["passed"] for g in gates)}
    ctx.write_json(METRICS, report)
    return outputs


def _npy(array: Any) -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def step_fairness(ctx: StepContext) -> list[str]:
    """Fairness at the decision threshold on the test rows, per protected attribute and group, from evaluate's scores."""
    from assay.run.fairness import fairness_report

    fairness = ctx.spec["fairness"]
    attributes = ctx.spec["data"].get("protectedAttributes", [])
    test = table(ctx, SPLIT_TEST)
    groups = {a["name"]: test[a["column"]].to_numpy(dtype=object) for a in attributes}
    _, y = features_of(ctx, SPLIT_TEST)
    report = fairness_report(
        saved_scores(ctx, "test"),
        y,
        groups,
        attributes,
        threshold=fairness["decisionThreshold"],
        favorable=fairness["favorable"],
        metrics=fairness["metrics"],
        min_group_size=fairness["minGroupSize"],
        bootstrap=fairness.get("bootstrap", {"iterations": 200, "confidence": 0.95, "seed": 0}),
    )
    ctx.write_json(FAIRNESS, report)
    return [FAIRNESS]


def step_explain(ctx: StepContext) -> list[str]:
    """Global importance by permutation on the test rows; principal-reason frequencies among declines.

    Each feature's anchor (its most favorable or typical value) is taken on the
    training rows when the plan step declares `split/train`, otherwise on the test
    rows it does declare; the report names which (`referenceRows`).
    """
    from assay.run.explain import feature_contributions, global_importance, principal_reasons

    explainability = ctx.spec["explainability"]
    X, y = features_of(ctx, SPLIT_TEST)
    pipeline = model(ctx)
    importance = global_importance(pipeline.predict_proba, X, y, seed=ctx.seed)
    scores = predicted(ctx, SPLIT_TEST)
    threshold = _threshold(ctx.spec)
    favorable = ctx.spec.get("fairness", {}).get("favorable", "below")
    declined = scores >= threshold if favorable == "below" else scores < threshold
    features = ctx.spec["data"]["features"]
    reference_rows = SPLIT_TRAIN if ctx.declares(SPLIT_TRAIN) else SPLIT_TEST
    reference, _ = features_of(ctx, reference_rows)
    method = explainability.get("reasonMethod", "points-below-max")
    contributions = feature_contributions(pipeline, X, method, reference=reference, favorable=favorable, seed=ctx.seed)
    reasons = principal_reasons(
        contributions,
        [f["name"] for f in features],
        {f["name"]: f.get("reason", f["name"]) for f in features},
        declined,
        min(int(explainability["principalReasons"]), 4),
    )
    ctx.write_json(EXPLANATIONS, {"globalImportance": importance, "principalReasons": reasons, "referenceRows": reference_rows})
    return [EXPLANATIONS]


def step_baseline(ctx: StepContext) -> list[str]:
    """Binned distributions of the held-out score and of each feature on the training rows, for PSI and CSI later.

    The score's baseline is the test rows' scores evaluate wrote: scores of rows the
    model never saw, like production's, where scores of its own training rows would
    be sharper than any later batch (docs/decisions/0008-score-baseline-rows.md).
    """
    from assay.run.baseline import drift_baseline

    X, _ = features_of(ctx, SPLIT_TRAIN)
    monitoring = ctx.spec.get("monitoring", {})
    bins = int(monitoring.get("score", {}).get("bins", 10))
    baseline = drift_baseline(saved_scores(ctx, "test"), X, ctx.spec["data"]["features"], bins=bins)
    baseline["rows"] = {"score": SPLIT_TEST, "features": SPLIT_TRAIN}
    ctx.write_json(BASELINE, baseline)
    return [BASELINE]


REQUIREMENTS = ("scikit-learn", "numpy", "scipy", "pandas", "skops")


def step_package(ctx: StepContext) -> list[str]:
    """An MLflow-compatible model directory (skops, no pickle) and the model card."""
    from assay.run.model_card import render_model_card
    from assay.run.package import write_model_package

    spec = ctx.spec
    requirements = _installed_versions()
    columns = [{"name": f["name"], "type": f["type"]} for f in spec["data"]["features"]]
    meta = spec["metadata"]
    # The packaged model file is the one fit wrote, byte for byte: serialised once per run.
    write_model_package(
        ctx.read_bytes(MODEL),
        ctx.workspace.outputs / PACKAGE,
        model_name=meta["name"],
        version=meta["version"],
        plan_digest=ctx.plan_digest,
        input_columns=columns,
        requirements=requirements,
    )
    metrics = ctx.read_json(METRICS)
    card = render_model_card(
        {
            "spec": spec,
            "plan_digest": ctx.plan_digest,
            "metrics": metrics["datasets"],
            "gates": metrics["gates"],
            "fairness": _optional(ctx, FAIRNESS),
            "explanations": _optional(ctx, EXPLANATIONS),
            "python": platform.python_version(),
        }
    )
    ctx.write_bytes(MODEL_CARD, card.encode())
    return [PACKAGE, MODEL_CARD]


@functools.cache
def _installed_versions() -> dict[str, str]:
    """The exact versions of the packages a model package pins: read from their metadata once per process."""
    return {name: importlib.metadata.version(name) for name in REQUIREMENTS}


def _optional(ctx: StepContext, name: str) -> Any:
    return ctx.read_json(name) if ctx.declares(name) else None
