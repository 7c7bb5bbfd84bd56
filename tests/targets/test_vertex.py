"""Vertex AI / Kubeflow pipeline IR parsed by the `kfp-pipeline-spec` protobuf messages
(unknown fields refused), then its DAG against the plan's training steps."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest


def parse(document: dict[str, Any]) -> Any:
    pipeline_spec_pb2 = pytest.importorskip("kfp.pipeline_spec.pipeline_spec_pb2")
    json_format = pytest.importorskip("google.protobuf.json_format")
    spec = json_format.ParseDict(document, pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    # deploymentSpec is a Struct in PipelineSpec; its real type is PipelineDeploymentConfig.
    json_format.ParseDict(document["deploymentSpec"], pipeline_spec_pb2.PipelineDeploymentConfig(), ignore_unknown_fields=False)
    return spec


def test_pipeline_spec_parses_and_matches_the_plan(rendered: tuple[Any, dict[str, str]]) -> None:
    plan, files = rendered
    if plan.data["deployment"]["target"] != "vertex":
        return
    document = json.loads(files["vertex-pipeline.json"])
    spec = parse(document)
    assert spec.schema_version == "2.1.0"
    assert spec.pipeline_info.name == f"train-{plan.data['model']}"
    assert spec.root.input_definitions.parameters["assay_plan_digest"].default_value.string_value == plan.digest
    tasks = spec.root.dag.tasks
    steps = plan.data["training"]["steps"]
    importers = {name for name in tasks if name.startswith("import-")}
    assert set(tasks) == {step["name"] for step in steps} | importers
    assert len(importers) == len(plan.data["inputs"]["data"])
    executors = document["deploymentSpec"]["executors"]
    for step in steps:
        task = tasks[step["name"]]
        component = spec.components[task.component_ref.name]
        assert component.executor_label in executors
        assert [name for name in task.dependent_tasks if name not in importers] == step["dependsOn"]
        assert len(component.input_definitions.artifacts) == len(step["inputs"])
        assert len(component.output_definitions.artifacts) == len(step["outputs"])
        for name, artifact in task.inputs.artifacts.items():
            producer = artifact.task_output_artifact
            assert producer.producer_task in task.dependent_tasks
            produced = spec.components[tasks[producer.producer_task].component_ref.name].output_definitions.artifacts
            assert producer.output_artifact_key in produced
            assert name in component.input_definitions.artifacts
        container = executors[component.executor_label]["container"]
        assert container["image"] == f"ghcr.io/assay-dev/assay:{plan.data['inputs']['assay']['version']}"
        script = container["command"][2]
        assert " ".join(step["command"]) in script.splitlines()
        subprocess.run(["sh", "-n", "-c", script], check=True)
        assert len(container["args"]) == len(step["inputs"]) + len(step["outputs"])
