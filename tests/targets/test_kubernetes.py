"""Argo Workflows, KServe and Seldon documents against their published schemas (strict about
unknown fields, as `kubectl apply --validate=strict` is), and against the plan they came from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import yaml

ErrorsOf = Callable[[Any, Any], list[str]]


def first_traffic(environment: dict[str, Any]) -> int:
    traffic: int = environment["strategy"]["steps"][0]["traffic"]
    return traffic


def environments(plan: Any) -> dict[str, dict[str, Any]]:
    return {env["name"]: env for env in plan.data["deployment"]["environments"]}


def test_argo_workflow_is_valid(
    rendered: tuple[Any, dict[str, str]], argo_validators: tuple[jsonschema.Draft202012Validator, ...], errors_of: ErrorsOf
) -> None:
    _, files = rendered
    workflow = yaml.safe_load(files["argo-workflow.yaml"])
    published, strict_workflow = argo_validators
    assert errors_of(published, workflow) == []
    assert errors_of(strict_workflow, workflow) == []


def test_argo_dag_is_the_training_plan(rendered: tuple[Any, dict[str, str]]) -> None:
    plan, files = rendered
    workflow = yaml.safe_load(files["argo-workflow.yaml"])
    spec = workflow["spec"]
    assert workflow["metadata"]["generateName"] == f"train-{plan.data['model']}-"
    templates = {template["name"]: template for template in spec["templates"]}
    tasks = templates[spec["entrypoint"]]["dag"]["tasks"]
    steps = plan.data["training"]["steps"]
    assert [task["name"] for task in tasks] == [step["name"] for step in steps]
    image = next(p["value"] for p in spec["arguments"]["parameters"] if p["name"] == "image")
    assert image == f"ghcr.io/assay-dev/assay:{plan.data['inputs']['assay']['version']}"
    for task, step in zip(tasks, steps, strict=True):
        assert task.get("dependencies", []) == step["dependsOn"]
        container = templates[task["template"]]
        assert container["container"]["command"] == step["command"]
        assert container["container"]["image"] == "{{workflow.parameters.image}}"
        inputs = [artifact["name"] for artifact in container.get("inputs", {}).get("artifacts", [])]
        outputs = [artifact["name"] for artifact in container.get("outputs", {}).get("artifacts", [])]
        assert len(inputs) == len(step["inputs"]) and len(outputs) == len(step["outputs"])
        for argument in task.get("arguments", {}).get("artifacts", []):
            assert argument["name"] in inputs
            source = argument["from"]
            if source.startswith("{{tasks."):
                producer, _, name = source.removeprefix("{{tasks.").removesuffix("}}").partition(".outputs.artifacts.")
                assert producer in step["dependsOn"]
                assert name in [a["name"] for a in templates[f"step-{producer}"]["outputs"]["artifacts"]]
            else:
                assert source == f"{{{{inputs.artifacts.{argument['name']}}}}}"


def test_kserve_inference_services(
    rendered: tuple[Any, dict[str, str]], crd_validators: dict[str, jsonschema.Draft7Validator], errors_of: ErrorsOf
) -> None:
    plan, files = rendered
    if plan.data["deployment"]["target"] != "kserve":
        return
    for name, env in environments(plan).items():
        service = yaml.safe_load(files[f"kserve-{name}.yaml"])
        assert (service["apiVersion"], service["kind"]) == ("serving.kserve.io/v1beta1", "InferenceService")
        assert errors_of(crd_validators["InferenceService"], service) == []
        predictor = service["spec"]["predictor"]
        model = predictor["model"]
        assert model["modelFormat"] == {"name": "mlflow"}
        assert model["storageUri"] == f"s3://assay-models/{plan.data['model']}/{plan.data['version']}"
        resources = env["resources"]
        assert model["resources"]["requests"] == {"cpu": resources["cpu"], "memory": resources["memory"]}
        assert predictor["minReplicas"] == predictor["maxReplicas"] == resources["replicas"]
        expected = {"canary": first_traffic(env) if env["strategy"]["type"] == "canary" else None, "blue-green": 0}
        assert predictor.get("canaryTrafficPercent") == expected.get(env["strategy"]["type"])


def test_seldon_models_and_experiments(
    rendered: tuple[Any, dict[str, str]], crd_validators: dict[str, jsonschema.Draft7Validator], errors_of: ErrorsOf
) -> None:
    plan, files = rendered
    if plan.data["deployment"]["target"] != "seldon":
        return
    for name, env in environments(plan).items():
        model = yaml.safe_load(files[f"seldon-model-{name}.yaml"])
        assert (model["apiVersion"], model["kind"]) == ("mlops.seldon.io/v1alpha1", "Model")
        assert errors_of(crd_validators["Model"], model) == []
        assert model["spec"]["requirements"] == ["mlflow"]
        assert model["spec"]["replicas"] == env["resources"]["replicas"]
        assert model["spec"]["memory"] == env["resources"]["memory"]
        kind = env["strategy"]["type"]
        if kind not in ("canary", "shadow"):
            assert model["metadata"]["name"] == plan.data["model"]
            assert f"seldon-experiment-{name}.yaml" not in files
            continue
        experiment = yaml.safe_load(files[f"seldon-experiment-{name}.yaml"])
        assert errors_of(crd_validators["Experiment"], experiment) == []
        spec = experiment["spec"]
        assert spec["default"] == plan.data["model"]
        assert sum(candidate["weight"] for candidate in spec["candidates"]) == 100
        if kind == "shadow":
            assert spec["mirror"] == {"name": model["metadata"]["name"], "percent": env["strategy"]["mirrorPercent"]}
        else:
            assert {"name": model["metadata"]["name"], "weight": first_traffic(env)} in spec["candidates"]


def test_strict_schemas_catch_a_misspelled_field(
    render_spec: Callable[[str], tuple[Any, dict[str, str]]],
    crd_validators: dict[str, jsonschema.Draft7Validator],
    argo_validators: tuple[jsonschema.Draft202012Validator, ...],
    errors_of: ErrorsOf,
) -> None:
    _, files = render_spec("every-strategy-kserve")
    service = yaml.safe_load(files["kserve-production.yaml"])
    service["spec"]["predictor"]["model"]["storageURI"] = "s3://typo"
    assert errors_of(crd_validators["InferenceService"], service)
    workflow = yaml.safe_load(files["argo-workflow.yaml"])
    workflow["spec"]["templates"][1]["container"]["comand"] = ["typo"]
    assert errors_of(argo_validators[1], workflow)
