"""What each kind of record says, as plain data for the timeline: a run's metrics, gates and fairness,
a test result, an approval, a promotion, a monitoring result. Pure; tolerant of missing parts, since a
record that failed verification is shown as decoded and kinds assay does not know yet are shown as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HEADLINE_METRICS = ("auc", "ks", "gini", "brier")


def record_data(kind: str, statement: Mapping[str, Any], reports: Mapping[str, Any]) -> dict[str, Any]:
    predicate = _mapping(statement.get("predicate"))
    if kind == "run":
        return run_data(predicate, reports)
    if kind == "tests":
        return tests_data(predicate)
    if kind == "approval":
        return {"environment": predicate.get("environment"), "approver": predicate.get("approver")}
    if kind == "promotion":
        manifests = [s.get("name") for s in statement.get("subject", []) if isinstance(s, Mapping)]
        return {"environment": predicate.get("environment"), "manifests": manifests}
    if kind == "monitor":
        return {**tests_data(predicate), **monitor_data(reports)}
    return {"predicateType": statement.get("predicateType")}


def run_data(predicate: Mapping[str, Any], reports: Mapping[str, Any]) -> dict[str, Any]:
    definition = _mapping(predicate.get("buildDefinition"))
    plan = _mapping(_mapping(definition.get("externalParameters")).get("plan"))
    inputs = _mapping(plan.get("inputs"))
    metrics = _mapping(reports.get("metrics"))
    fairness = _mapping(reports.get("fairness"))
    gates = [g for g in metrics.get("gates", []) if isinstance(g, Mapping)]
    return {
        "version": plan.get("version"),
        "specBlob": _mapping(inputs.get("spec")).get("blob"),
        "data": {role: _mapping(source).get("sha256") for role, source in _mapping(inputs.get("data")).items()},
        "builder": _mapping(_mapping(predicate.get("runDetails")).get("builder")).get("id"),
        "metrics": {
            dataset: {name: values.get(name) for name in HEADLINE_METRICS if name in values}
            for dataset, values in _mapping(metrics.get("datasets")).items()
            if isinstance(values, Mapping)
        },
        "gates": [{key: gate.get(key) for key in ("metric", "dataset", "min", "max", "value", "passed")} for gate in gates],
        "gatesOutcome": _outcome(metrics.get("passed")) if metrics else "report missing",
        "fairness": fairness_groups(fairness),
        "fairnessOutcome": str(fairness.get("verdict", "not tested")) if fairness else "report missing",
    }


def fairness_groups(fairness: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per protected group: its attribute, reference, status, and each metric's value and verdict."""
    rows = []
    for attribute in fairness.get("attributes", []):
        if not isinstance(attribute, Mapping):
            continue
        reference = _mapping(attribute.get("reference")).get("group")
        for group in attribute.get("groups", []):
            if not isinstance(group, Mapping):
                continue
            values = {m.get("metric"): m for m in group.get("metrics", []) if isinstance(m, Mapping)}
            rows.append(
                {
                    "attribute": attribute.get("name"),
                    "group": group.get("group"),
                    "reference": reference,
                    "status": group.get("status"),
                    "metrics": {str(name): {"value": m.get("value"), "verdict": m.get("verdict")} for name, m in values.items()},
                }
            )
    return rows


def tests_data(predicate: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "result": predicate.get("result"),
        "passed": len(predicate.get("passedTests", []) or []),
        "failedTests": list(predicate.get("failedTests", []) or []),
        "warnedTests": list(predicate.get("warnedTests", []) or []),
    }


def monitor_data(reports: Mapping[str, Any]) -> dict[str, Any]:
    """The score's PSI and the features' CSI, wherever a monitoring report keeps them."""
    for report in reports.values():
        if not isinstance(report, Mapping):
            continue
        psi = _number(_mapping(report.get("score")).get("psi"), report.get("psi"), report.get("scorePsi"))
        if psi is None:
            continue
        features = report.get("features")
        csi: dict[str, Any] = {}
        if isinstance(report.get("csi"), Mapping):
            csi = {str(name): value for name, value in report["csi"].items()}
        elif isinstance(features, list):
            csi = {str(f.get("name")): f.get("csi") for f in features if isinstance(f, Mapping) and "csi" in f}
        elif isinstance(features, Mapping):
            csi = {str(name): _mapping(f).get("csi") for name, f in features.items()}
        drifting = report.get("drifting")
        names = [
            f"{d.get('name')} ({d.get('statistic')} {d.get('value')}, {d.get('level')})" for d in drifting or [] if isinstance(d, Mapping)
        ]
        batch = _mapping(report.get("batch")).get("name")
        return {"psi": psi, "csi": csi, "verdict": report.get("verdict"), "drifting": names, "batch": batch}
    return {}


def _number(*candidates: Any) -> float | None:
    for value in candidates:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _outcome(passed: Any) -> str:
    return "passed" if passed is True else "failed" if passed is False else "unknown"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
