"""The estimator allowlist and the pipeline built from a spec.

A spec names an estimator by class name only. The name is looked up in a fixed
table before anything is imported: a spec naming `os.system`, `builtins.eval` or
any module path is refused without importing anything.
"""

from __future__ import annotations

import importlib
from typing import Any

ALLOWLIST: dict[str, tuple[str, str]] = {
    "LogisticRegression": ("sklearn.linear_model", "LogisticRegression"),
    "HistGradientBoostingClassifier": ("sklearn.ensemble", "HistGradientBoostingClassifier"),
    "GradientBoostingClassifier": ("sklearn.ensemble", "GradientBoostingClassifier"),
    "RandomForestClassifier": ("sklearn.ensemble", "RandomForestClassifier"),
    "ExtraTreesClassifier": ("sklearn.ensemble", "ExtraTreesClassifier"),
    "DecisionTreeClassifier": ("sklearn.tree", "DecisionTreeClassifier"),
}


class EstimatorRefused(Exception):
    """A spec named an estimator that is not on the allowlist."""


def estimator_class(name: str) -> Any:
    """The allowlisted class called `name`; EstimatorRefused (before any import) otherwise."""
    if not isinstance(name, str) or name not in ALLOWLIST:
        raise EstimatorRefused(f"estimator '{name}' is not on the allowlist ({', '.join(sorted(ALLOWLIST))}); nothing was imported")
    module, attribute = ALLOWLIST[name]
    return getattr(importlib.import_module(module), attribute)


def _scalar_params(params: dict[str, Any]) -> dict[str, Any]:
    for key, value in params.items():
        if not isinstance(value, str | int | float | bool | type(None)):
            raise EstimatorRefused(f"estimator parameter '{key}' must be a scalar, not {type(value).__name__}")
    return dict(params)


def build_estimator(spec: dict[str, Any], seed: int) -> Any:
    """The estimator with the spec's params, seeded when it takes a random_state."""
    config = spec["training"]["estimator"]
    cls = estimator_class(config["class"])
    params = _scalar_params(config.get("params", {}))
    instance = cls(**params)
    if "random_state" in instance.get_params() and "random_state" not in params:
        instance.set_params(random_state=seed)
    monotone = _monotone_constraints(spec)
    if monotone and config["class"] == "HistGradientBoostingClassifier" and "monotonic_cst" not in params:
        instance.set_params(monotonic_cst=monotone)
    return instance


def _monotone_constraints(spec: dict[str, Any]) -> dict[str, int]:
    """Declared monotone constraints, by the names the preprocessing step gives numeric columns."""
    signs = {"increasing": 1, "decreasing": -1}
    return {
        f"numeric__{f['name']}": signs[f["monotone"]]
        for f in spec["data"]["features"]
        if f["type"] == "numeric" and f.get("monotone") in signs
    }


def build_pipeline(spec: dict[str, Any], seed: int) -> Any:
    """Pipeline([preprocess (ColumnTransformer over the declared features), model])."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, RobustScaler, StandardScaler

    features = spec["data"]["features"]
    numeric = [f["name"] for f in features if f["type"] == "numeric"]
    categorical = [f["name"] for f in features if f["type"] != "numeric"]
    options = spec["training"].get("preprocessing", {})
    num, cat = options.get("numeric", {}), options.get("categorical", {})
    numeric_steps: list[tuple[str, Any]] = []
    impute = num.get("impute", "median")
    if impute != "none":
        strategy = {"median": "median", "mean": "mean", "zero": "constant"}[impute]
        numeric_steps.append(("impute", SimpleImputer(strategy=strategy, fill_value=0.0)))
    scale = num.get("scale", "standard")
    if scale != "none":
        numeric_steps.append(("scale", StandardScaler() if scale == "standard" else RobustScaler()))
    categorical_steps: list[tuple[str, Any]] = []
    cat_impute = cat.get("impute", "missing-level")
    if cat_impute != "none":
        strategy = "most_frequent" if cat_impute == "most-frequent" else "constant"
        categorical_steps.append(("impute", SimpleImputer(strategy=strategy, fill_value="__missing__")))
    min_frequency = cat.get("minFrequency")
    if cat.get("encode", "one-hot") == "one-hot":
        categorical_steps.append(
            ("encode", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=min_frequency, sparse_output=False))
        )
    else:
        categorical_steps.append(("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)))
    transformers = []
    if numeric:
        transformers.append(("numeric", Pipeline(numeric_steps) if numeric_steps else "passthrough", numeric))
    if categorical:
        transformers.append(("categorical", Pipeline(categorical_steps), categorical))
    preprocess = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=True)
    # Named columns let HistGradientBoosting take monotone constraints by feature name.
    preprocess.set_output(transform="pandas")
    return Pipeline([("preprocess", preprocess), ("model", build_estimator(spec, seed))])
