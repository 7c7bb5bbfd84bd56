"""Azure ML (CLI v2 YAML): a command job for training, and per environment a managed
online endpoint and the managed online deployment of this version.

The job runs every plan step in order in one container, each step's command as
given except that its `--in` and `--out` both point at the job's `workspace`
output folder (where the data sources are copied first), so each step finds the
outputs of the steps before it. Deployments follow the stable-slot convention of
`rollout`: a direct release updates the `stable` deployment; canary, shadow and
blue-green releases add a deployment named after the version. The endpoint's
`traffic` and `mirror_traffic` split requests between the two; Azure mirrors at
most 50 percent, so a larger shadow is capped there. The endpoint's properties
keep the whole strategy as the spec gives it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from assay.targets.identity import Identity, cloud_tags, runtime_environment
from assay.targets.naming import MODEL_BUCKET, content_key, has_scheme, shorten, version_slug
from assay.targets.rollout import STABLE, TWO_VERSION_STRATEGIES, first_traffic, mirror_percent, strategy_annotation, strategy_type
from assay.targets.steps import Step, sources, training_steps, with_directories

DATASTORE = "azureml://datastores/workspaceblobstore/paths"
DEFAULT_INSTANCE = "Standard_DS3_v2"
WORKSPACE = "${{outputs.workspace}}"
AZURE_SCHEMES = ("azureml", "https", "wasbs", "abfss")
MAX_MIRROR_PERCENT = 50


def job_context(plan: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    steps = training_steps(plan)
    data = plan["inputs"]["data"]
    inputs = {_input_name(a.name): {"type": "uri_file", "path": _source_path(data[a.role])} for a in sources(steps) if a.role}
    job: dict[str, Any] = {
        "display_name": f"train {identity.model} {identity.version}",
        "experiment_name": identity.model,
    }
    if identity.description is not None:
        job["description"] = identity.description
    job["tags"] = cloud_tags(identity)
    job["command"] = _command(steps)
    job["environment"] = {"image": identity.image}
    job["environment_variables"] = runtime_environment(identity)
    job["inputs"] = inputs
    job["outputs"] = {"workspace": {"type": "uri_folder", "mode": "rw_mount"}}
    return {"identity": identity, "job": job}


def endpoint_name(identity: Identity, environment: Mapping[str, Any]) -> str:
    return shorten(f"{identity.model}-{environment['name']}", 32)


def deployment_name(identity: Identity, environment: Mapping[str, Any]) -> str:
    if strategy_type(environment) in TWO_VERSION_STRATEGIES:
        return shorten(version_slug(identity.version), 32)
    return STABLE


def endpoint_context(identity: Identity, environment: Mapping[str, Any]) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"name": endpoint_name(identity, environment), "auth_mode": "key"}
    if identity.description is not None:
        endpoint["description"] = identity.description
    endpoint["tags"] = cloud_tags(identity, environment["name"])
    endpoint["properties"] = strategy_annotation(environment)
    endpoint.update(_traffic(identity, environment))
    return {"identity": identity, "endpoint": endpoint}


def deployment_context(identity: Identity, environment: Mapping[str, Any]) -> dict[str, Any]:
    resources = environment["resources"]
    deployment: dict[str, Any] = {
        "name": deployment_name(identity, environment),
        "endpoint_name": endpoint_name(identity, environment),
    }
    if identity.description is not None:
        deployment["description"] = identity.description
    deployment["tags"] = cloud_tags(identity, environment["name"])
    deployment["model"] = {
        "name": identity.model,
        "version": identity.version,
        "path": f"{DATASTORE}/{MODEL_BUCKET}/{identity.model}/{identity.version}",
        "type": "mlflow_model",
    }
    deployment["instance_type"] = resources.get("instanceType", DEFAULT_INSTANCE)
    deployment["instance_count"] = resources["replicas"]
    return {"identity": identity, "deployment": deployment}


def _traffic(identity: Identity, environment: Mapping[str, Any]) -> dict[str, Any]:
    kind, new = strategy_type(environment), deployment_name(identity, environment)
    if kind == "canary":
        return {"traffic": {STABLE: 100 - first_traffic(environment), new: first_traffic(environment)}}
    if kind == "shadow":
        return {"traffic": {STABLE: 100}, "mirror_traffic": {new: min(mirror_percent(environment), MAX_MIRROR_PERCENT)}}
    if kind == "blue-green":
        return {"traffic": {STABLE: 0, new: 100}}
    return {"traffic": {new: 100}}


def _input_name(artifact: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", artifact)


def _source_path(source: Mapping[str, Any]) -> str:
    uri: str = source["uri"]
    return uri if has_scheme(uri, *AZURE_SCHEMES) else f"{DATASTORE}/{content_key(source['sha256'])}"


def _command(steps: list[Step]) -> str:
    lines = ["set -eu"]
    used = sources(steps)
    if used:
        lines.append(f"mkdir -p {shlex.quote(WORKSPACE + '/source')}")
    for artifact in used:
        placeholder = "${{inputs." + _input_name(artifact.name) + "}}"
        lines.append(f"cp {shlex.quote(placeholder)} {shlex.quote(f'{WORKSPACE}/source/{artifact.role}')}")
    lines.extend(shlex.join(with_directories(step.command, WORKSPACE, WORKSPACE)) for step in steps)
    return "\n".join(lines)
