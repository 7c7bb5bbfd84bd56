"""in-toto Statement v1 documents for training runs, test results and approvals.

Builders are pure: the same values give the same dict, and so (through RFC 8785) the
same payload bytes. No clock is read here: the signed `issuedAt` arrives as a parameter.
Statements carry only digests and names of files, never their contents (aggregates and
logs travel as their own files, bound by sha256).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

from assay.evidence.errors import StatementError
from assay.evidence.timestamps import format_timestamp
from assay.plan.canonical import canonical_digest

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PROVENANCE_TYPE = "https://slsa.dev/provenance/v1"
TEST_RESULT_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
APPROVAL_TYPE = "https://assay.dev/attestation/approval/v1"
PROMOTION_TYPE = "https://assay.dev/attestation/promotion/v1"
KNOWN_PREDICATE_TYPES = frozenset({PROVENANCE_TYPE, TEST_RESULT_TYPE, APPROVAL_TYPE, PROMOTION_TYPE})
# Predicate types assay owns carry its record fields at the top of the predicate.
OWN_PREDICATE_TYPES = frozenset({APPROVAL_TYPE, PROMOTION_TYPE})

TRAINING_BUILD_TYPE = "https://assay.dev/buildtypes/training/v1"
# Predicate types we do not own get assay's fields under one URI-named key, the
# extension form that SLSA and the in-toto parsing rules allow (consumers ignore it).
RECORD_EXTENSION = "https://assay.dev/attestation/record/v1"

TestOutcome = Literal["PASSED", "WARNED", "FAILED"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GIT_OBJECT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


class ResourceDescriptor(TypedDict):
    """An in-toto ResourceDescriptor as assay writes it: a name, a digest, maybe a uri."""

    name: str
    digest: dict[str, str]
    uri: NotRequired[str]
    annotations: NotRequired[dict[str, Any]]


@dataclass(frozen=True)
class SpecSource:
    """The ModelSpec a run was built from: its repository path, git blob id and sha256."""

    path: str
    blob: str
    sha256: str


@dataclass(frozen=True)
class DataSource:
    """One data set a run read, as the spec names it (`uri`) with the sha256 it was verified against."""

    uri: str
    sha256: str


@dataclass(frozen=True)
class RecordRef:
    """An earlier evidence file: its repository path and the sha256 of its bytes (the envelope file)."""

    path: str
    sha256: str


def resource_descriptor(
    name: str, digest: Mapping[str, str], *, uri: str | None = None, annotations: Mapping[str, Any] | None = None
) -> ResourceDescriptor:
    """A ResourceDescriptor; every sha256 must be 64 lowercase hex digits, a gitBlob 40 or 64."""
    if not name:
        raise StatementError("a resource descriptor needs a name")
    for algorithm, value in digest.items():
        _check_digest(value, algorithm, f"{name} ({algorithm})")
    descriptor: ResourceDescriptor = {"name": name, "digest": dict(sorted(digest.items()))}
    if uri is not None:
        descriptor["uri"] = uri
    if annotations:
        descriptor["annotations"] = dict(annotations)
    return descriptor


def plan_descriptor(model: str, plan_digest: str) -> ResourceDescriptor:
    """The compiled plan of `model`, named `plan/<model>`, identified by its canonical sha256."""
    return resource_descriptor(f"plan/{model}", {"sha256": plan_digest})


def provenance_statement(
    *,
    model: str,
    subjects: Mapping[str, str],
    plan: Mapping[str, Any],
    plan_digest: str,
    spec: SpecSource,
    data: Mapping[str, DataSource],
    policy_digest: str,
    previous: RecordRef | None,
    byproducts: Mapping[str, str],
    builder_id: str,
    issued_at: datetime,
) -> dict[str, Any]:
    """SLSA Provenance v1 for one training run of `model`.

    `subjects` and `byproducts` map file names to sha256. The plan is the external
    parameter and must hash to `plan_digest`; the spec, each data set (named
    `data/<role>`), the policy bundle and the previous record of this model are the
    resolved dependencies. `previous` is None only for a model's first record.
    """
    _check_model(model)
    _check_digest(plan_digest, "sha256", "plan digest")
    if canonical_digest(plan) != plan_digest:
        raise StatementError(f"the plan does not hash to {plan_digest}: the statement would name a plan it does not contain")
    if not builder_id:
        raise StatementError("builder id is empty")
    dependencies = [
        resource_descriptor("spec", {"gitBlob": spec.blob, "sha256": spec.sha256}, uri=spec.path),
        *(resource_descriptor(f"data/{role}", {"sha256": source.sha256}, uri=source.uri) for role, source in sorted(data.items())),
        resource_descriptor("policies", {"sha256": policy_digest}),
    ]
    if previous is not None:
        dependencies.append(resource_descriptor("previous", {"sha256": previous.sha256}, uri=previous.path))
    predicate = {
        "buildDefinition": {
            "buildType": TRAINING_BUILD_TYPE,
            "externalParameters": {"plan": plan},
            "internalParameters": {"planDigest": plan_digest},
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": {"id": builder_id},
            "byproducts": _descriptors(byproducts, "byproduct"),
        },
        RECORD_EXTENSION: _record_fields(model, plan_digest, issued_at),
    }
    return _statement(_descriptors(subjects, "subject", required=True), PROVENANCE_TYPE, predicate)


def test_result_statement(
    *,
    model: str,
    subjects: Mapping[str, str],
    plan_digest: str,
    result: TestOutcome,
    passed_tests: Sequence[str],
    failed_tests: Sequence[str],
    warned: Sequence[str],
    configuration: Sequence[ResourceDescriptor],
    issued_at: datetime,
) -> dict[str, Any]:
    """in-toto test-result v0.1 for the gates or fairness tests of one run.

    The subjects are the files tested (by sha256); the plan comes first in
    `configuration`, followed by the given descriptors (e.g. the metrics file the
    gates read). `result` must agree with the lists: FAILED exactly when a test failed.
    """
    _check_model(model)
    _check_digest(plan_digest, "sha256", "plan digest")
    if result not in ("PASSED", "WARNED", "FAILED"):
        raise StatementError(f"test result {result!r} is not PASSED, WARNED or FAILED")
    expected = "FAILED" if failed_tests else "WARNED" if warned else "PASSED"
    if result != expected:
        raise StatementError(f"test result {result} contradicts the lists, which say {expected}")
    predicate = {
        "result": result,
        "configuration": [plan_descriptor(model, plan_digest), *configuration],
        "passedTests": sorted(passed_tests),
        "warnedTests": sorted(warned),
        "failedTests": sorted(failed_tests),
        RECORD_EXTENSION: _record_fields(model, plan_digest, issued_at),
    }
    return _statement(_descriptors(subjects, "subject", required=True), TEST_RESULT_TYPE, predicate)


def approval_statement(*, model: str, plan_digest: str, environment: str, approver: str, issued_at: datetime) -> dict[str, Any]:
    """An approval, by `approver` (an email principal), of one plan digest for one environment."""
    if not environment:
        raise StatementError("approval environment is empty")
    if "@" not in approver:
        raise StatementError(f"approver {approver!r} is not an email address")
    subject = plan_descriptor(model, plan_digest)
    predicate = {"environment": environment, "approver": approver, **_record_fields(model, plan_digest, issued_at)}
    return _statement([subject], APPROVAL_TYPE, predicate)


def promotion_statement(
    *, model: str, plan_digest: str, environment: str, manifests: Mapping[str, str], evidence: Mapping[str, str], issued_at: datetime
) -> dict[str, Any]:
    """A promotion of one plan digest to one environment: the manifests rendered (subjects) and the records it relied on."""
    if not environment:
        raise StatementError("promotion environment is empty")
    predicate = {
        "environment": environment,
        "plan": plan_descriptor(model, plan_digest),
        "evidence": [resource_descriptor(path, {"sha256": digest}, uri=path) for path, digest in sorted(evidence.items())],
        **_record_fields(model, plan_digest, issued_at),
    }
    return _statement(_descriptors(manifests, "manifest", required=True), PROMOTION_TYPE, predicate)


def _statement(subjects: list[ResourceDescriptor], predicate_type: str, predicate: dict[str, Any]) -> dict[str, Any]:
    return {"_type": STATEMENT_TYPE, "subject": subjects, "predicateType": predicate_type, "predicate": predicate}


def _record_fields(model: str, plan_digest: str, issued_at: datetime) -> dict[str, str]:
    try:
        stamp = format_timestamp(issued_at)
    except ValueError as error:
        raise StatementError(f"issuedAt: {error}") from None
    return {"model": model, "planDigest": plan_digest, "issuedAt": stamp}


def _descriptors(named: Mapping[str, str], what: str, *, required: bool = False) -> list[ResourceDescriptor]:
    if required and not named:
        raise StatementError(f"a statement needs at least one {what}")
    return [resource_descriptor(name, {"sha256": digest}) for name, digest in sorted(named.items())]


def _check_model(model: str) -> None:
    if not model:
        raise StatementError("model name is empty")


def _check_digest(value: str, algorithm: str, what: str) -> None:
    pattern = _GIT_OBJECT if algorithm in ("gitBlob", "gitCommit") else _SHA256 if algorithm == "sha256" else None
    if pattern is None:
        raise StatementError(f"{what}: digest algorithm {algorithm!r} is not sha256, gitBlob or gitCommit")
    if not isinstance(value, str) or not pattern.match(value):
        raise StatementError(f"{what}: {value!r} is not a lowercase hex {algorithm} digest")


# A builder, not a test: keep pytest from collecting it where a test module imports it.
test_result_statement.__test__ = False  # type: ignore[attr-defined]
