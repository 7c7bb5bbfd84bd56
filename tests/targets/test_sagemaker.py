"""SageMaker documents: the pipeline definition against the published pipeline schema, each
step's arguments and the endpoint rollout against botocore's service model for `sagemaker`
(types and required members by `botocore.validate`, then lengths, ranges, enums and patterns)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

ErrorsOf = Callable[[Any, Any], list[str]]
# Stand-ins for pipeline expressions, resolved at run time, each a valid value of its field.
RESOLVED = {
    "Parameters.ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/assay:0.1.0",
    "Parameters.RoleArn": "arn:aws:iam::123456789012:role/assay-training",
    "Parameters.InstanceType": "ml.m5.xlarge",
}


@pytest.fixture(scope="session")
def sagemaker_model() -> Any:
    botocore_session = pytest.importorskip("botocore.session")
    return botocore_session.get_session().get_service_model("sagemaker")


@pytest.fixture(scope="session")
def pipeline_validator(load_schema_named: Callable[[str], dict[str, Any]]) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(load_schema_named("sagemaker-pipeline-definition.schema.json"))


def resolve(value: Any) -> Any:
    """The arguments with every {"Get": ...} replaced by a value it could take."""
    if isinstance(value, dict) and set(value) == {"Get"}:
        expression = value["Get"]
        return RESOLVED.get(expression, "s3://assay-artifacts/resolved/at/run/time")
    if isinstance(value, dict):
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item) for item in value]
    return value


def aws_pattern(pattern: str) -> str:
    # Python's re has no \p{..}; the ASCII classes are narrower, so passing them is enough.
    return pattern.replace(r"\p{L}", "a-zA-Z").replace(r"\p{Z}", " ").replace(r"\p{N}", "0-9")


def constraint_errors(value: Any, shape: Any, where: str) -> list[str]:
    """Lengths, ranges, enums and patterns of the service model, which botocore does not check."""
    meta, kind = shape.metadata, shape.type_name
    if kind == "structure":
        return [error for key, item in value.items() for error in constraint_errors(item, shape.members[key], f"{where}.{key}")]
    errors = []
    if kind in ("list", "map", "string") and "max" in meta and len(value) > meta["max"]:
        errors.append(f"{where}: longer than {meta['max']}")
    if kind == "list":
        errors += [error for index, item in enumerate(value) for error in constraint_errors(item, shape.member, f"{where}[{index}]")]
    elif kind == "map":
        for key, item in value.items():
            errors += constraint_errors(key, shape.key, f"{where} key") + constraint_errors(item, shape.value, f"{where}.{key}")
    elif kind == "string":
        if shape.enum and value not in shape.enum:
            errors.append(f"{where}: {value!r} not in {shape.enum}")
        if "pattern" in meta and not re.fullmatch(aws_pattern(meta["pattern"]), value):
            errors.append(f"{where}: {value!r} does not match {meta['pattern']}")
    elif kind in ("integer", "long", "float", "double") and not meta.get("min", value) <= value <= meta.get("max", value):
        errors.append(f"{where}: {value} outside [{meta.get('min')}, {meta.get('max')}]")
    return errors


def request_errors(service: Any, operation: str, params: dict[str, Any]) -> list[str]:
    from botocore.validate import ParamValidator  # type: ignore[import-untyped]

    shape = service.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        return [report.generate_report()]
    return constraint_errors(params, shape, operation)


def documents(files: dict[str, str], prefix: str) -> dict[str, Any]:
    return {name: json.loads(text) for name, text in files.items() if name.startswith(prefix)}


def test_pipeline_definition_is_valid(
    rendered: tuple[Any, dict[str, str]], pipeline_validator: jsonschema.Draft7Validator, errors_of: ErrorsOf, sagemaker_model: Any
) -> None:
    plan, files = rendered
    if plan.data["deployment"]["target"] != "sagemaker":
        return
    pipeline = json.loads(files["sagemaker-pipeline.json"])
    assert errors_of(pipeline_validator, pipeline) == []
    assert pipeline["Version"] == "2020-12-01"
    steps = plan.data["training"]["steps"]
    assert [step["Name"] for step in pipeline["Steps"]] == [step["name"] for step in steps]
    for rendered_step, step in zip(pipeline["Steps"], steps, strict=True):
        assert rendered_step.get("DependsOn", []) == step["dependsOn"]
        arguments = rendered_step["Arguments"]
        entrypoint = arguments["AppSpecification"]["ContainerEntrypoint"]
        assert entrypoint[: entrypoint.index("--in")] == step["command"][: step["command"].index("--in")]
        job = {"ProcessingJobName": f"train-{step['name']}", **resolve(arguments)}
        assert request_errors(sagemaker_model, "CreateProcessingJob", job) == []
        for input_ in arguments.get("ProcessingInputs", []):
            reference = input_["S3Input"]["S3Uri"]
            if isinstance(reference, dict):
                producer = reference["Get"].split(".")[1]
                assert producer in step["dependsOn"]


def test_endpoint_rollouts_are_valid_requests(rendered: tuple[Any, dict[str, str]], sagemaker_model: Any) -> None:
    plan, files = rendered
    if plan.data["deployment"]["target"] != "sagemaker":
        return
    for env in plan.data["deployment"]["environments"]:
        rollout = json.loads(files[f"sagemaker-endpoint-{env['name']}.json"])
        assert request_errors(sagemaker_model, "CreateEndpointConfig", rollout["CreateEndpointConfig"]) == []
        assert request_errors(sagemaker_model, "UpdateEndpoint", rollout["UpdateEndpoint"]) == []
        assert rollout["UpdateEndpoint"]["EndpointConfigName"] == rollout["CreateEndpointConfig"]["EndpointConfigName"]
        assert rollout["Assay"]["strategy"] == env["strategy"]
        tags = {tag["Key"]: tag["Value"] for tag in rollout["CreateEndpointConfig"]["Tags"]}
        assert tags["assay.dev/plan-digest"] == plan.digest
        check_strategy(env, rollout)


def check_strategy(env: dict[str, Any], rollout: dict[str, Any]) -> None:
    strategy = env["strategy"]
    config = rollout["CreateEndpointConfig"]
    routing = rollout["UpdateEndpoint"]["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    variants = config["ProductionVariants"]
    assert all(variant["InitialInstanceCount"] == env["resources"]["replicas"] for variant in variants)
    if strategy["type"] == "canary":
        kind, size = ("LINEAR", "LinearStepSize") if strategy.get("linear") else ("CANARY", "CanarySize")
        assert routing["Type"] == kind
        assert routing[size] == {"Type": "CAPACITY_PERCENT", "Value": strategy["steps"][0]["traffic"]}
    else:
        assert routing["Type"] == "ALL_AT_ONCE"
    if strategy["type"] == "shadow":
        (shadow,) = config["ShadowProductionVariants"]
        assert shadow["InitialVariantWeight"] / variants[0]["InitialVariantWeight"] == strategy["mirrorPercent"] / 100
    else:
        assert "ShadowProductionVariants" not in config
    rollback = strategy.get("rollback", {}).get("automatic", False)
    assert ("AutoRollbackConfiguration" in rollout["UpdateEndpoint"]["DeploymentConfig"]) == rollback
