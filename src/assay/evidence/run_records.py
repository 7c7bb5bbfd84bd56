"""The records a training run leaves: SLSA provenance, and a test result for its gates and fairness tests.

Pure: from the plan, the run's output digests and its reports to unsigned statements
and the list of report files to publish beside them. Only aggregates are published
(reports, model card, package manifest); per-row scores and split indices stay in the
local content-addressed store, named by digest only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assay.evidence.statements import (
    DataSource,
    RecordRef,
    SpecSource,
    TestOutcome,
    provenance_statement,
    resource_descriptor,
    test_result_statement,
)

BUILDER_ID = "https://assay.dev/runner/local/v1"
# Run outputs published in evidence/<model>/runs/<plan digest>/ (aggregates only).
PUBLISHED = (
    "reports/metrics.json",
    "reports/fairness.json",
    "reports/explanations.json",
    "reports/baseline.json",
    "reports/data-validation.json",
    "reports/model-card.md",
)
# Run outputs that are per-row or copies of inputs: byproducts, by digest only.
BYPRODUCT_PREFIXES = ("scores/", "split/", "data/")


@dataclass(frozen=True)
class PendingRecord:
    """A statement to sign and append to the chain, of one kind."""

    kind: str
    statement: dict[str, Any]


def split_outputs(outputs: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(subjects, byproducts) of a run's outputs."""
    subjects = {name: digest for name, digest in outputs.items() if not name.startswith(BYPRODUCT_PREFIXES)}
    byproducts = {name: digest for name, digest in outputs.items() if name.startswith(BYPRODUCT_PREFIXES)}
    return subjects, byproducts


def test_names(metrics: Mapping[str, Any], fairness: Mapping[str, Any] | None) -> tuple[list[str], list[str], list[str]]:
    """(passed, failed, warned) test names: gates, then each fairness metric per group."""
    passed: list[str] = []
    failed: list[str] = []
    warned: list[str] = []
    for gate in metrics.get("gates", []):
        bound = f">={gate['min']}" if gate.get("min") is not None else f"<={gate['max']}"
        name = f"gate:{gate['metric']}:{gate['dataset']}{bound}"
        (passed if gate["passed"] else failed).append(name)
    for attribute in (fairness or {}).get("attributes", []):
        for group in attribute.get("groups", []):
            if group.get("status") != "tested":
                warned.append(f"fairness:{attribute['name']}:{group.get('group', 'group')}:insufficient")
                continue
            for metric in group.get("metrics", []):
                name = f"fairness:{attribute['name']}:{group['group']}:{metric['metric']}"
                (passed if metric.get("verdict") == "pass" else failed).append(name)
    return passed, failed, warned


def run_records(
    *,
    plan: Mapping[str, Any],
    plan_digest: str,
    outputs: Mapping[str, str],
    metrics: Mapping[str, Any],
    fairness: Mapping[str, Any] | None,
    previous: RecordRef | None,
    issued_at: datetime,
) -> list[PendingRecord]:
    """The provenance and test-result statements of one run (chain links are added when appended)."""
    model = str(plan["model"])
    inputs = plan["inputs"]
    subjects, byproducts = split_outputs(outputs)
    spec = SpecSource(inputs["spec"]["path"], inputs["spec"]["blob"], inputs["spec"]["sha256"])
    data = {role: DataSource(source["uri"], source["sha256"]) for role, source in inputs["data"].items()}
    provenance = provenance_statement(
        model=model,
        subjects=subjects,
        plan=plan,
        plan_digest=plan_digest,
        spec=spec,
        data=data,
        policy_digest=inputs["policies"]["digest"],
        previous=previous,
        byproducts=byproducts,
        builder_id=BUILDER_ID,
        issued_at=issued_at,
    )
    passed, failed, warned = test_names(metrics, fairness)
    tested = {name: digest for name, digest in subjects.items() if name in ("reports/metrics.json", "reports/fairness.json")}
    result: TestOutcome = "FAILED" if failed else "WARNED" if warned else "PASSED"
    tests = test_result_statement(
        model=model,
        subjects=tested,
        plan_digest=plan_digest,
        result=result,
        passed_tests=passed,
        failed_tests=failed,
        warned=warned,
        configuration=[resource_descriptor(name, {"sha256": digest}) for name, digest in sorted(tested.items())],
        issued_at=issued_at,
    )
    return [PendingRecord("provenance", provenance), PendingRecord("tests", tests)]
