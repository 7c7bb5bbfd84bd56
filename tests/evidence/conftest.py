"""Fixtures for the evidence tests: a real compiled plan, fresh Ed25519 signers, statements."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from securesystemslib.signer import CryptoSigner

from assay.evidence import DataSource, RecordRef, SpecSource, provenance_statement
from assay.load import SourceFile, parse_document
from assay.plan import CompiledPlan, PlanContext, compile_plan
from support import REPO_ROOT

ISSUED = datetime(2026, 11, 29, 6, 30, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="session")
def compiled_plan() -> CompiledPlan:
    path = sorted(REPO_ROOT.glob("models/*/model.yaml"))[0]
    source = SourceFile(path.relative_to(REPO_ROOT).as_posix(), path.read_bytes())
    document, problems = parse_document(source)
    assert document is not None, problems
    return compile_plan(document.data, PlanContext(source.path, source.blob_id, source.sha256, sha("policies"), "0.1.0"))


@pytest.fixture
def signer() -> CryptoSigner:
    return CryptoSigner.generate_ed25519()


@pytest.fixture
def provenance(compiled_plan: CompiledPlan) -> dict[str, Any]:
    return provenance_statement(
        model=compiled_plan.model,
        subjects={"package/MLmodel": sha("mlmodel"), "metrics.json": sha("metrics"), "fairness.json": sha("fairness")},
        plan=compiled_plan.data,
        plan_digest=compiled_plan.digest,
        spec=SpecSource(f"models/{compiled_plan.model}/model.yaml", "a" * 40, sha("spec")),
        data={"train": DataSource("data/train.csv", sha("train")), "outOfTime": DataSource("data/oot.csv", sha("oot"))},
        policy_digest=sha("policies"),
        previous=RecordRef(f"evidence/{compiled_plan.model}/0001/provenance.dsse.json", sha("previous")),
        byproducts={"logs/run.log": sha("log")},
        builder_id="https://assay.dev/runner/local@0.1.0",
        issued_at=ISSUED,
    )
