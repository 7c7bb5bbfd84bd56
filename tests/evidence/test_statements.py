"""Statement shapes: in-toto Statement v1, SLSA Provenance v1, test-result v0.1, approvals; canonical bytes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from assay.evidence import (
    APPROVAL_TYPE,
    KNOWN_PREDICATE_TYPES,
    PROMOTION_TYPE,
    PROVENANCE_TYPE,
    RECORD_EXTENSION,
    STATEMENT_TYPE,
    TEST_RESULT_TYPE,
    TRAINING_BUILD_TYPE,
    DataSource,
    RecordRef,
    SpecSource,
    StatementError,
    approval_statement,
    provenance_statement,
    read_record_header,
    resource_descriptor,
    subject_digests,
)
from assay.evidence import statements as builders
from assay.plan import CompiledPlan, canonical_bytes, canonical_digest

ISSUED = datetime(2026, 11, 29, 6, 30, tzinfo=UTC)  # the same moment as the `provenance` fixture's


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_provenance_is_a_slsa_v1_statement_with_sorted_subjects(provenance: dict[str, Any], compiled_plan: CompiledPlan) -> None:
    assert provenance["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert provenance["predicateType"] == PROVENANCE_TYPE == "https://slsa.dev/provenance/v1"
    assert [s["name"] for s in provenance["subject"]] == ["fairness.json", "metrics.json", "package/MLmodel"]
    assert provenance["subject"][1] == {"name": "metrics.json", "digest": {"sha256": sha("metrics")}}
    build = provenance["predicate"]["buildDefinition"]
    assert build["buildType"] == TRAINING_BUILD_TYPE
    assert build["externalParameters"] == {"plan": compiled_plan.data}
    assert build["internalParameters"] == {"planDigest": compiled_plan.digest}
    assert [d["name"] for d in build["resolvedDependencies"]] == ["spec", "data/outOfTime", "data/train", "policies", "previous"]
    assert build["resolvedDependencies"][0]["digest"] == {"gitBlob": "a" * 40, "sha256": sha("spec")}
    assert build["resolvedDependencies"][2] == {"name": "data/train", "uri": "data/train.csv", "digest": {"sha256": sha("train")}}
    assert build["resolvedDependencies"][-1]["uri"].endswith("0001/provenance.dsse.json")
    run = provenance["predicate"]["runDetails"]
    assert run == {
        "builder": {"id": "https://assay.dev/runner/local@0.1.0"},
        "byproducts": [{"name": "logs/run.log", "digest": {"sha256": sha("log")}}],
    }
    assert provenance["predicate"][RECORD_EXTENSION] == {
        "model": compiled_plan.model,
        "planDigest": compiled_plan.digest,
        "issuedAt": "2026-11-29T06:30:00Z",
    }


def test_first_record_has_no_previous_dependency(compiled_plan: CompiledPlan) -> None:
    statement = _provenance(compiled_plan, previous=None)
    assert "previous" not in [d["name"] for d in statement["predicate"]["buildDefinition"]["resolvedDependencies"]]


def test_same_values_give_the_same_canonical_bytes(compiled_plan: CompiledPlan) -> None:
    first = canonical_bytes(_provenance(compiled_plan, subjects={"b": sha("b"), "a": sha("a")}))
    second = canonical_bytes(_provenance(compiled_plan, subjects={"a": sha("a"), "b": sha("b")}))
    assert first == second
    assert b" " not in first.split(b'"plan"')[0]  # no insignificant whitespace


def test_integers_stay_integers_and_a_float_one_is_written_as_one(compiled_plan: CompiledPlan) -> None:
    plan = {**compiled_plan.data, "extra": {"rows": 1, "ratio": 1.0, "half": 0.5, "big": 10**15}}
    statement = _provenance(compiled_plan, plan=plan, plan_digest=canonical_digest(plan))
    payload = canonical_bytes(statement)
    assert b'"extra":{"big":1000000000000000,"half":0.5,"ratio":1,"rows":1}' in payload
    extra = json.loads(payload)["predicate"]["buildDefinition"]["externalParameters"]["plan"]["extra"]
    assert type(extra["rows"]) is int and type(extra["big"]) is int
    # RFC 8785 has one number form: the float 1.0 and the int 1 are the same bytes, so they read back as int.
    assert canonical_bytes({"x": 1.0}) == canonical_bytes({"x": 1}) == b'{"x":1}'


def test_plan_must_hash_to_its_digest(compiled_plan: CompiledPlan) -> None:
    with pytest.raises(StatementError, match="does not hash to"):
        _provenance(compiled_plan, plan_digest=sha("other"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subjects": {}}, "at least one subject"),
        ({"subjects": {"m": "ABC"}}, "not a lowercase hex sha256"),
        ({"spec": SpecSource("m.yaml", "xyz", sha("s"))}, "gitBlob"),
        ({"issued_at": datetime(2026, 1, 1)}, "time zone"),
        ({"builder_id": ""}, "builder id"),
        ({"model": ""}, "model name"),
    ],
)
def test_bad_values_are_refused(compiled_plan: CompiledPlan, change: dict[str, Any], message: str) -> None:
    with pytest.raises(StatementError, match=message):
        _provenance(compiled_plan, **change)


def test_issued_at_is_written_in_utc() -> None:
    eastern = datetime(2026, 11, 29, 1, 30, 15, 999, tzinfo=timezone(timedelta(hours=-5)))
    statement = approval_statement(model="m", plan_digest=sha("p"), environment="prod", approver="v@bank.example", issued_at=eastern)
    assert statement["predicate"]["issuedAt"] == "2026-11-29T06:30:15Z"


def test_test_result_statement_shape() -> None:
    metrics = resource_descriptor("metrics.json", {"sha256": sha("metrics")})
    statement = builders.test_result_statement(
        model="consumer-credit-pd",
        subjects={"package/MLmodel": sha("pkg")},
        plan_digest=sha("plan"),
        result="FAILED",
        passed_tests=["gate/auc", "gate/ks"],
        failed_tests=["fairness/air/race"],
        warned=[],
        configuration=[metrics],
        issued_at=ISSUED,
    )
    assert statement["predicateType"] == TEST_RESULT_TYPE == "https://in-toto.io/attestation/test-result/v0.1"
    predicate = statement["predicate"]
    assert predicate["result"] == "FAILED"
    assert predicate["configuration"] == [{"name": "plan/consumer-credit-pd", "digest": {"sha256": sha("plan")}}, metrics]
    assert (predicate["passedTests"], predicate["warnedTests"], predicate["failedTests"]) == (
        ["gate/auc", "gate/ks"],
        [],
        ["fairness/air/race"],
    )
    assert read_record_header(statement).plan_digest == sha("plan")


@pytest.mark.parametrize(("result", "failed", "warned"), [("PASSED", ["t"], []), ("FAILED", [], []), ("PASSED", [], ["w"])])
def test_test_result_must_agree_with_its_lists(result: Any, failed: list[str], warned: list[str]) -> None:
    with pytest.raises(StatementError, match="contradicts"):
        builders.test_result_statement(
            model="m",
            subjects={"a": sha("a")},
            plan_digest=sha("p"),
            result=result,
            passed_tests=[],
            failed_tests=failed,
            warned=warned,
            configuration=[],
            issued_at=ISSUED,
        )


def test_approval_names_the_plan_as_its_subject() -> None:
    statement = approval_statement(model="m", plan_digest=sha("p"), environment="production", approver="val@bank.example", issued_at=ISSUED)
    assert statement["predicateType"] == APPROVAL_TYPE
    assert statement["subject"] == [{"name": "plan/m", "digest": {"sha256": sha("p")}}]
    assert statement["predicate"] == {
        "environment": "production",
        "approver": "val@bank.example",
        "model": "m",
        "planDigest": sha("p"),
        "issuedAt": "2026-11-29T06:30:00Z",
    }
    with pytest.raises(StatementError, match="email"):
        approval_statement(model="m", plan_digest=sha("p"), environment="production", approver="val", issued_at=ISSUED)


def test_known_predicate_types() -> None:
    assert {PROVENANCE_TYPE, TEST_RESULT_TYPE, APPROVAL_TYPE, PROMOTION_TYPE} == KNOWN_PREDICATE_TYPES


def test_record_header_and_subjects_read_back(provenance: dict[str, Any], compiled_plan: CompiledPlan) -> None:
    header = read_record_header(provenance)
    assert (header.predicate_type, header.model, header.plan_digest, header.issued_at) == (
        PROVENANCE_TYPE,
        compiled_plan.model,
        compiled_plan.digest,
        ISSUED,
    )
    assert subject_digests(provenance)["metrics.json"] == sha("metrics")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.update(predicateType="https://example.com/x"), "not one assay writes"),
        (lambda s: s["predicate"].pop(RECORD_EXTENSION), "is missing"),
        (lambda s: s["predicate"][RECORD_EXTENSION].update(issuedAt="yesterday"), "RFC 3339"),
        (lambda s: s.update(_type="https://in-toto.io/Statement/v0.1"), "_type"),
    ],
)
def test_record_header_refuses_what_assay_does_not_write(provenance: dict[str, Any], edit: Any, message: str) -> None:
    statement = json.loads(json.dumps(provenance))
    edit(statement)
    with pytest.raises(StatementError, match=message):
        read_record_header(statement)


def _provenance(compiled_plan: CompiledPlan, **change: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "model": compiled_plan.model,
        "subjects": {"metrics.json": sha("metrics")},
        "plan": compiled_plan.data,
        "plan_digest": compiled_plan.digest,
        "spec": SpecSource("models/m/model.yaml", "b" * 40, sha("spec")),
        "data": {"train": DataSource("data/train.csv", sha("train"))},
        "policy_digest": sha("policies"),
        "previous": RecordRef("evidence/m/0001.json", sha("prev")),
        "byproducts": {},
        "builder_id": "https://assay.dev/runner/local",
        "issued_at": ISSUED,
    }
    values.update(change)
    return provenance_statement(**values)
