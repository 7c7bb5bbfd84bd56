"""The model-side steps: fit, evaluate, fairness, explain, baseline, package."""

from __future__ import annotations

import importlib.metadata
import platform
from typing import Any

from assay.run.steps import RunFailed, StepContext, features_of, frame, rows

MODEL_FILE = "model/estimator.skops"


def _threshold(spec: dict[str, Any]) -> float:
    return float(spec.get("fairness", {}).get("decisionThreshold", 0.5))


def step_fit(ctx: StepContext) -> list[str]:
    """Fit the allowlisted estimator in its preprocessing pipeline, with the optional search."""
    from assay.run.estimators import EstimatorRefused, build_pipeline
    from assay.run.package import canonical_skops

    try:
        pipeline = build_pipeline(ctx.spec, ctx.seed)
    except EstimatorRefused as error:
        raise RunFailed(str(error)) from error
    X, y = features_of(ctx, "train", "train")
    search = ctx.spec["training"].get("search")
    if search:
        pipeline = _searched(pipeline, search, ctx.seed).fit(X, y).best_estimator_
    else:
        pipeline.fit(X, y)
    ctx.workspace.write_bytes(MODEL_FILE, canonical_skops(pipeline))
    ctx.workspace.remember("model", pipeline)
    return [MODEL_FILE]


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
    def load() -> Any:
        from assay.run.package import load_trusted_model

        return load_trusted_model(ctx.workspace.path(MODEL_FILE))

    return ctx.workspace.cached("model", load)


def scores(ctx: StepContext, role: str, part: str | None = None) -> Any:
    def compute() -> Any:
        X, _ = features_of(ctx, role, part)
        return model(ctx).predict_proba(X)[:, 1]

    return ctx.workspace.cached(f"scores:{role}:{part}", compute)


def step_evaluate(ctx: StepContext) -> list[str]:
    """Metrics on the test and out-of-time sets, and the spec's gates."""
    import numpy as np

    from assay.run.metrics import check_gates, evaluate_scores

    threshold = _threshold(ctx.spec)
    bins = ctx.spec["evaluation"].get("calibrationBins", 10)
    datasets = {"test": ("train", "test")}
    if "outOfTime" in ctx.spec["data"]:
        datasets["outOfTime"] = ("outOfTime", None)  # type: ignore[assignment]
    metrics, outputs = {}, ["reports/metrics.json"]
    for name, (role, part) in datasets.items():
        _, y = features_of(ctx, role, part)
        predicted = scores(ctx, role, part)
        metrics[name] = evaluate_scores(y, predicted, threshold=threshold, calibration_bins=bins)
        buffer = _npy(np.asarray(predicted, dtype="<f8"))
        ctx.workspace.write_bytes(f"scores/{name}.npy", buffer)
        outputs.append(f"scores/{name}.npy")
    gates = check_gates(metrics, ctx.spec["evaluation"].get("gates", []))
    report = {"threshold": threshold, "datasets": metrics, "gates": gates, "passed": all(g["passed"] for g in gates)}
    ctx.workspace.write_json("reports/metrics.json", report)
    return outputs


def _npy(array: Any) -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def step_fairness(ctx: StepContext) -> list[str]:
    """Fairness at the decision threshold on the test set, per protected attribute and group."""
    from assay.run.fairness import fairness_report

    fairness = ctx.spec["fairness"]
    attributes = ctx.spec["data"].get("protectedAttributes", [])
    test = frame(ctx, "train").iloc[rows(ctx, "test")]
    groups = {a["name"]: test[a["column"]].to_numpy(dtype=object) for a in attributes}
    _, y = features_of(ctx, "train", "test")
    report = fairness_report(
        scores(ctx, "train", "test"),
        y,
        groups,
        attributes,
        threshold=fairness["decisionThreshold"],
        favorable=fairness["favorable"],
        metrics=fairness["metrics"],
        min_group_size=fairness["minGroupSize"],
        bootstrap=fairness.get("bootstrap", {"iterations": 200, "confidence": 0.95, "seed": 0}),
    )
    ctx.workspace.write_json("reports/fairness.json", report)
    return ["reports/fairness.json"]


def step_explain(ctx: StepContext) -> list[str]:
    """Global importance by permutation on held-out data; principal-reason frequencies among declines."""
    from assay.run.explain import feature_contributions, global_importance, principal_reasons

    explainability = ctx.spec["explainability"]
    X, y = features_of(ctx, "train", "test")
    pipeline = model(ctx)
    importance = global_importance(pipeline.predict_proba, X, y, seed=ctx.seed)
    predicted = scores(ctx, "train", "test")
    threshold = _threshold(ctx.spec)
    favorable = ctx.spec.get("fairness", {}).get("favorable", "below")
    declined = predicted >= threshold if favorable == "below" else predicted < threshold
    features = ctx.spec["data"]["features"]
    reference, _ = features_of(ctx, "train", "train")
    method = explainability.get("reasonMethod", "points-below-max")
    contributions = feature_contributions(pipeline, X, method, reference=reference, favorable=favorable, seed=ctx.seed)
    reasons = principal_reasons(
        contributions,
        [f["name"] for f in features],
        {f["name"]: f.get("reason", f["name"]) for f in features},
        declined,
        min(int(explainability["principalReasons"]), 4),
    )
    ctx.workspace.write_json("reports/explanations.json", {"globalImportance": importance, "principalReasons": reasons})
    return ["reports/explanations.json"]


def step_baseline(ctx: StepContext) -> list[str]:
    """Binned distributions of the score and each feature on the training rows, for PSI and CSI later."""
    from assay.run.baseline import drift_baseline

    X, _ = features_of(ctx, "train", "train")
    monitoring = ctx.spec.get("monitoring", {})
    bins = int(monitoring.get("score", {}).get("bins", 10))
    baseline = drift_baseline(scores(ctx, "train", "train"), X, ctx.spec["data"]["features"], bins=bins)
    ctx.workspace.write_json("reports/baseline.json", baseline)
    return ["reports/baseline.json"]


REQUIREMENTS = ("scikit-learn", "numpy", "scipy", "pandas", "skops")


def step_package(ctx: StepContext) -> list[str]:
    """An MLflow-compatible model directory (skops, no pickle) and the model card."""
    from assay.run.package import render_model_card, write_model_package

    spec = ctx.spec
    requirements = {name: importlib.metadata.version(name) for name in REQUIREMENTS}
    columns = [{"name": f["name"], "type": f["type"]} for f in spec["data"]["features"]]
    meta = spec["metadata"]
    write_model_package(
        model(ctx),
        ctx.workspace.outputs / "package",
        model_name=meta["name"],
        version=meta["version"],
        plan_digest=ctx.plan_digest,
        input_columns=columns,
        requirements=requirements,
    )
    metrics = ctx.workspace.read_json("reports/metrics.json")
    card = render_model_card(
        {
            "spec": spec,
            "plan_digest": ctx.plan_digest,
            "metrics": metrics["datasets"],
            "gates": metrics["gates"],
            "fairness": _optional(ctx, "reports/fairness.json"),
            "explanations": _optional(ctx, "reports/explanations.json"),
            "python": platform.python_version(),
        }
    )
    ctx.workspace.write_bytes("reports/model-card.md", card.encode())
    return ["package", "reports/model-card.md"]


def _optional(ctx: StepContext, name: str) -> Any:
    return ctx.workspace.read_json(name) if ctx.workspace.path(name).is_file() else None
