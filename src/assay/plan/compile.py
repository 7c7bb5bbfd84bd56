"""compile_plan: a validated spec and its context in, a Plan out. Pure: no I/O, no clock.

The plan pins every input (the spec's blob and sha256, data digests, the policy
digest, assay's version), embeds the spec with every default written out, and adds
what compiling derives: the training steps, the deployment order, cost estimates.
Its digest is the sha256 of its RFC 8785 canonical bytes, so the same inputs give
the same bytes on every machine and in every process.
"""

from __future__ import annotations

import hashlib
from typing import Any

from assay.plan.canonical import canonical_bytes
from assay.plan.cost import serving_cost, training_cost
from assay.plan.model import PLAN_API_VERSION, CompiledPlan, PlanContext, Prices
from assay.plan.normalize import normalize_spec
from assay.plan.steps import training_steps


def _data_inputs(spec: dict[str, Any]) -> dict[str, Any]:
    inputs = {}
    for name in ("train", "outOfTime"):
        source = spec["data"].get(name)
        if source:
            inputs[name] = {key: source[key] for key in ("uri", "format", "sha256", "window", "rows") if key in source}
    return inputs


def _deployment(spec: dict[str, Any], context: PlanContext) -> dict[str, Any]:
    deployment = spec.get("deployment")
    if not deployment:
        return {"target": "local", "environments": []}
    environments = []
    for order, environment in enumerate(deployment["environments"], start=1):
        requires = environment.get("requires", {})
        environments.append(
            {
                "name": environment["name"],
                "order": order,
                "strategy": environment["strategy"],
                "resources": environment["resources"],
                "approvals": requires.get("approvals", []),
                "evidence": sorted(requires.get("evidence", [])),
                "cost": serving_cost(environment["resources"], context.prices),
            }
        )
    total = round(sum(e["cost"]["monthlyUsd"] for e in environments), 2)
    return {"target": deployment["target"], "environments": environments, "monthlyUsd": total}


def prices_data(prices: Prices) -> dict[str, Any]:
    """The price table as plan data: pinned, so a plan can be recomputed exactly from its inputs."""
    return {
        "cpuHour": prices.cpu_hour,
        "memoryGiBHour": prices.memory_gib_hour,
        "instanceHour": dict(sorted(prices.instance_hour.items())),
        "hoursPerMonth": prices.hours_per_month,
        "trainingCoreSecondsPerMillionCells": prices.training_core_seconds_per_million_cells,
    }


def prices_from(data: dict[str, Any]) -> Prices:
    return Prices(
        data["cpuHour"],
        data["memoryGiBHour"],
        dict(data["instanceHour"]),
        data["hoursPerMonth"],
        data["trainingCoreSecondsPerMillionCells"],
    )


def compile_plan(spec: dict[str, Any], context: PlanContext) -> CompiledPlan:
    """The plan of one schema-valid spec, with its canonical bytes and their digest."""
    plan = plan_data(spec, context)
    canonical = canonical_bytes(plan)
    return CompiledPlan(plan["model"], plan, canonical, hashlib.sha256(canonical).hexdigest())


def plan_data(spec: dict[str, Any], context: PlanContext) -> dict[str, Any]:
    """The plan of one schema-valid spec as data, without canonical bytes (what policies read)."""
    normalized = normalize_spec(spec)
    name = normalized["metadata"]["name"]
    return {
        "apiVersion": PLAN_API_VERSION,
        "kind": "Plan",
        "model": name,
        "version": normalized["metadata"]["version"],
        "inputs": {
            "spec": {"path": context.spec_path, "blob": context.spec_blob, "sha256": context.spec_sha256},
            "data": _data_inputs(normalized),
            "policies": {"digest": context.policy_digest},
            "assay": {"version": context.assay_version},
            "prices": prices_data(context.prices),
        },
        "spec": normalized,
        "training": {"steps": training_steps(name, normalized), "cost": training_cost(normalized, context.prices)},
        "deployment": _deployment(normalized, context),
    }
