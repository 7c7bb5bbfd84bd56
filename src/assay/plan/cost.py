"""Cost estimates: monthly serving per environment and one training run, from the bank's price table.

Serving: replicas x (CPU cores x cpuHour + memory GiB x memoryGiBHour) x hours per
month, or replicas x the instance type's hourly rate when one is named and priced.
Training: rows x features, scaled by the estimator's relative cost, in core-seconds
priced at cpuHour. Estimates, for budgeting and for review, not invoices.
"""

from __future__ import annotations

from typing import Any

from assay.plan.model import Prices

# Relative fitting cost per cell, against logistic regression (= 1).
ESTIMATOR_COST = {
    "LogisticRegression": 1.0,
    "DecisionTreeClassifier": 1.5,
    "HistGradientBoostingClassifier": 4.0,
    "GradientBoostingClassifier": 12.0,
    "RandomForestClassifier": 10.0,
    "ExtraTreesClassifier": 8.0,
}


def cpu_cores(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_gib(quantity: str) -> float:
    return int(quantity[:-2]) / 1024 if quantity.endswith("Mi") else float(quantity[:-2])


def serving_cost(resources: dict[str, Any], prices: Prices) -> dict[str, Any]:
    replicas = resources["replicas"]
    instance = resources.get("instanceType")
    if instance and instance in prices.instance_hour:
        hourly = replicas * prices.instance_hour[instance]
        basis = f"{replicas} x {instance} at ${prices.instance_hour[instance]}/h"
    else:
        cores, gib = cpu_cores(resources["cpu"]), memory_gib(resources["memory"])
        hourly = replicas * (cores * prices.cpu_hour + gib * prices.memory_gib_hour)
        basis = f"{replicas} x ({cores:g} CPU x ${prices.cpu_hour}/h + {gib:g} GiB x ${prices.memory_gib_hour}/h)"
    return {"monthlyUsd": round(hourly * prices.hours_per_month, 2), "basis": basis}


def training_cost(spec: dict[str, Any], prices: Prices) -> dict[str, Any]:
    rows = spec["data"]["train"].get("rows", 100_000)
    features = len(spec["data"]["features"])
    factor = ESTIMATOR_COST[spec["training"]["estimator"]["class"]]
    search = spec["training"].get("search")
    fits = 1
    if search:
        candidates = search.get("iterations") or _grid_size(search["space"])
        fits = candidates * search["folds"] + 1
    core_seconds = rows * features / 1e6 * prices.training_core_seconds_per_million_cells * factor * fits
    return {
        "estimatedUsd": round(core_seconds / 3600 * prices.cpu_hour, 4),
        "coreSeconds": round(core_seconds, 1),
        "basis": f"{rows} rows x {features} features x {factor:g} (estimator) x {fits} fit(s)",
    }


def _grid_size(space: dict[str, list[Any]]) -> int:
    size = 1
    for values in space.values():
        size *= len(values)
    return size
