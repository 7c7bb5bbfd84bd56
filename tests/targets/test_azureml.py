"""Azure ML documents through the `azure-ai-ml` package's own loaders (its marshmallow schemas
are the current CLI v2 contract), then the loaded objects against the plan."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

# azure-ai-ml still passes marshmallow 3 a `context` argument; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The `context` parameter is deprecated")


def expected_traffic(env: dict[str, Any], deployment: str) -> tuple[dict[str, int], dict[str, int]]:
    strategy = env["strategy"]
    if strategy["type"] == "canary":
        first = strategy["steps"][0]["traffic"]
        return {"stable": 100 - first, deployment: first}, {}
    if strategy["type"] == "shadow":
        return {"stable": 100}, {deployment: min(strategy["mirrorPercent"], 50)}
    if strategy["type"] == "blue-green":
        return {"stable": 0, deployment: 100}, {}
    return {"stable": 100}, {}


def write(tmp_path: Path, files: dict[str, str], name: str) -> Path:
    path = tmp_path / name
    path.write_text(files[name])
    return path


def test_command_job_loads_and_runs_every_step(rendered: tuple[Any, dict[str, str]], tmp_path: Path) -> None:
    plan, files = rendered
    if plan.data["deployment"]["target"] != "azureml":
        return
    ml = pytest.importorskip("azure.ai.ml")
    job = ml.load_job(write(tmp_path, files, "azureml-job.yaml"))
    assert job.type == "command"
    assert job.environment.image == f"ghcr.io/assay-dev/assay:{plan.data['inputs']['assay']['version']}"
    assert job.tags["assay.dev/plan-digest"] == plan.digest
    assert job.description == plan.data["spec"]["metadata"].get("description")
    assert set(job.inputs) == {f"source_{role}" for role in plan.data["inputs"]["data"]}
    lines = job.command.splitlines()
    for step in plan.data["training"]["steps"]:
        command = list(step["command"])
        command[command.index("--in") + 1] = command[command.index("--out") + 1] = "${{outputs.workspace}}"
        assert shlex.join(command) in lines
    assert job.outputs["workspace"].type == "uri_folder"
    subprocess.run(["sh", "-n", "-c", job.command], check=True)


def test_endpoints_and_deployments_load_with_the_planned_traffic(rendered: tuple[Any, dict[str, str]], tmp_path: Path) -> None:
    plan, files = rendered
    if plan.data["deployment"]["target"] != "azureml":
        return
    ml = pytest.importorskip("azure.ai.ml")
    for env in plan.data["deployment"]["environments"]:
        endpoint = ml.load_online_endpoint(write(tmp_path, files, f"azureml-endpoint-{env['name']}.yaml"))
        deployment = ml.load_online_deployment(write(tmp_path, files, f"azureml-deployment-{env['name']}.yaml"))
        assert deployment.endpoint_name == endpoint.name
        assert deployment.instance_count == env["resources"]["replicas"]
        assert deployment.instance_type == env["resources"].get("instanceType", "Standard_DS3_v2")
        assert deployment.model.type == "mlflow_model"
        assert deployment.model.version == plan.data["version"]
        traffic, mirror = expected_traffic(env, deployment.name)
        assert endpoint.traffic == traffic
        assert (endpoint.mirror_traffic or {}) == mirror
        assert sum(endpoint.traffic.values()) in (0, 100)
        assert json.loads(endpoint.properties["assay.dev/strategy"]) == env["strategy"]
        for tags in (endpoint.tags, deployment.tags):
            assert tags["assay.dev/plan-digest"] == plan.digest
            assert tags["assay.dev/environment"] == env["name"]
