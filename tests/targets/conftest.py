"""Plans to render (the example models and every valid spec fixture) and the target systems' schemas."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from assay.load import SourceFile, parse_document
from assay.plan import CompiledPlan, PlanContext, compile_plan
from assay.targets import render_targets
from support import REPO_ROOT, SHARED_SCHEMAS

SPEC_PATHS = sorted(REPO_ROOT.glob("models/*/model.yaml")) + sorted((REPO_ROOT / "tests/fixtures/specs/valid").glob("*.yaml"))
BASE_SPEC = REPO_ROOT / "models/consumer-credit-pd/model.yaml"
TARGETS = ("kserve", "seldon", "sagemaker", "azureml", "vertex", "local")
# Every strategy on one promotion path, so each target renders each of them.
EVERY_STRATEGY = [
    {"name": "dev", "strategy": {"type": "direct"}},
    {"name": "staging", "strategy": {"type": "shadow", "mirrorPercent": 20}},
    {"name": "preprod", "strategy": {"type": "canary", "linear": True, "steps": [{"traffic": 25, "pause": "30m"}, {"traffic": 100}]}},
    {"name": "production", "strategy": {"type": "canary", "steps": [{"traffic": 5, "pause": "48h"}, {"traffic": 100}]}},
    {"name": "dr", "strategy": {"type": "blue-green", "rollback": {"automatic": True, "condition": "error rate > 1%"}}},
]
TARGET_SCHEMAS = SHARED_SCHEMAS / "targets"
Rendered = tuple[CompiledPlan, dict[str, str]]


def compile_spec(path: Path, data: Mapping[str, Any] | None = None) -> CompiledPlan:
    """The plan of a spec file (or of `data` in its place), as `assay plan` would compile it."""
    source = SourceFile(path.relative_to(REPO_ROOT).as_posix(), path.read_bytes())
    document, diagnostics = parse_document(source)
    assert document is not None, diagnostics
    spec = copy.deepcopy(dict(data if data is not None else document.data))
    return compile_plan(spec, PlanContext(source.path, source.blob_id, source.sha256, "0" * 64, "0.1.0"))


def every_strategy_spec(target: str) -> dict[str, Any]:
    """The base spec deployed to `target` through one environment per strategy."""
    source = SourceFile(BASE_SPEC.relative_to(REPO_ROOT).as_posix(), BASE_SPEC.read_bytes())
    document, diagnostics = parse_document(source)
    assert document is not None, diagnostics
    spec = copy.deepcopy(dict(document.data))
    resources = {"replicas": 2, "cpu": "1", "memory": "2Gi"}
    spec["deployment"]["target"] = target
    spec["deployment"]["environments"] = [{**env, "resources": dict(resources)} for env in EVERY_STRATEGY]
    return spec


def _spec_cases() -> dict[str, tuple[Path, str | None]]:
    cases: dict[str, tuple[Path, str | None]] = {}
    for path in SPEC_PATHS:
        cases[path.parent.name if path.name == "model.yaml" else path.stem] = (path, None)
    for target in TARGETS:
        cases[f"every-strategy-{target}"] = (BASE_SPEC, target)
    return cases


SPEC_CASES = _spec_cases()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "spec_case" in metafunc.fixturenames:
        metafunc.parametrize("spec_case", list(SPEC_CASES))


@pytest.fixture(scope="session")
def render_spec() -> Callable[[str], Rendered]:
    """Compile and render a spec case (see SPEC_CASES) once per session."""
    cache: dict[str, Rendered] = {}

    def render(case: str) -> Rendered:
        if case not in cache:
            path, target = SPEC_CASES[case]
            plan = compile_spec(path, every_strategy_spec(target) if target else None)
            cache[case] = (plan, render_targets(plan.data, plan.digest))
        return cache[case]

    return render


@pytest.fixture
def rendered(spec_case: str, render_spec: Callable[[str], Rendered]) -> Rendered:
    return render_spec(spec_case)


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((TARGET_SCHEMAS / name).read_text())
    return schema


def strict(schema: Any) -> Any:
    """`schema` with unknown fields refused wherever it lists properties (like `kubectl --validate=strict`)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) for key, value in schema.items()}
    open_ended = "additionalProperties" in schema or schema.get("x-kubernetes-preserve-unknown-fields") or "patternProperties" in schema
    if isinstance(schema.get("properties"), dict) and not open_ended:
        result["additionalProperties"] = False
    return result


def schema_errors(validator: Any, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}" for error in validator.iter_errors(document)]


@pytest.fixture(scope="session")
def errors_of() -> Callable[[Any, Any], list[str]]:
    """Schema errors of a document, one line each (empty when it is valid)."""
    return schema_errors


@pytest.fixture(scope="session")
def compile_plan_of() -> Callable[..., CompiledPlan]:
    return compile_spec


@pytest.fixture(scope="session")
def crd_validators() -> dict[str, jsonschema.Draft7Validator]:
    """KServe and Seldon CRD schemas, strict about unknown fields, by kind."""
    names = {
        "InferenceService": "kserve-inferenceservice.v1beta1.schema.json",
        "Model": "seldon-model.v1alpha1.schema.json",
        "Experiment": "seldon-experiment.v1alpha1.schema.json",
    }
    return {kind: jsonschema.Draft7Validator(strict(load_schema(name))) for kind, name in names.items()}


def _walk_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_strings(key)
            yield from _walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_strings(item)


@pytest.fixture(scope="session")
def strings_of() -> Callable[[Any], list[str]]:
    """Every string in a parsed document, keys included."""
    return lambda document: list(_walk_strings(document))


@pytest.fixture(scope="session")
def argo_validators() -> tuple[jsonschema.Draft202012Validator, jsonschema.Draft202012Validator]:
    """Argo's published schema as is (its top-level oneOf over the kinds), and its Workflow made strict."""
    schema = load_schema("argo-workflows.schema.json")
    workflow = {"$ref": "#/definitions/io.argoproj.workflow.v1alpha1.Workflow", "definitions": strict(schema["definitions"])}
    return jsonschema.Draft202012Validator(schema), jsonschema.Draft202012Validator(workflow)


@pytest.fixture(scope="session")
def load_schema_named() -> Callable[[str], dict[str, Any]]:
    """A schema from shared/schemas/targets by file name."""
    return load_schema
