"""Vertex AI Pipelines / Kubeflow Pipelines: the training plan as pipeline IR (`PipelineSpec`).

The root DAG has one task per plan step (`dependentTasks` = `dependsOn`) and one
importer task per data source. KFP chooses artifact paths itself, so each step's
container runs a short `sh` wrapper: it links the input artifacts into
`/assay/in/<path>`, runs exactly the step's command, and copies `/assay/out/<path>`
to the output artifacts. Paths arrive as positional arguments, never inside the
script text. The plan's identity rides as root parameters and container environment.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping
from typing import Any

from assay.targets.identity import Identity, runtime_environment
from assay.targets.naming import ARTIFACT_BUCKET, content_key, has_scheme, shorten
from assay.targets.steps import Artifact, Step, sources, training_steps

SCHEMA_VERSION = "2.1.0"
_TYPES = {"source": "system.Dataset", "data": "system.Dataset", "split": "system.Dataset", "scores": "system.Dataset"}
_TYPES |= {"model": "system.Model", "package": "system.Model"}


def pipeline_context(plan: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    steps = training_steps(plan)
    data = plan["inputs"]["data"]
    tasks: dict[str, Any] = {}
    components: dict[str, Any] = {}
    executors: dict[str, Any] = {}
    for artifact in sources(steps):
        name = f"import-{artifact.name}"
        tasks[name] = _importer_task(name, artifact, data[artifact.role or ""])
        components[f"comp-{name}"] = _importer_component(name, artifact)
        executors[f"exec-{name}"] = {"importer": {"artifactUri": {"runtimeParameter": "uri"}, "typeSchema": _type(artifact)}}
    for step in steps:
        tasks[step.name] = _step_task(step)
        components[f"comp-{step.name}"] = _step_component(step)
        executors[f"exec-{step.name}"] = {"container": _container(step, identity)}
    info: dict[str, Any] = {"name": shorten(f"train-{identity.model}", 128), "displayName": f"train {identity.model} {identity.version}"}
    if identity.description is not None:
        info["description"] = identity.description
    return {
        "identity": identity,
        "pipeline_info": info,
        "sdk_version": f"assay-{identity.assay_version}",
        "root": {"inputDefinitions": {"parameters": _identity_parameters(identity)}, "dag": {"tasks": tasks}},
        "components": components,
        "executors": executors,
    }


def _identity_parameters(identity: Identity) -> dict[str, Any]:
    values = {"assay_model": identity.model, "assay_version": identity.version, "assay_plan_digest": identity.digest}
    return {key: {"parameterType": "STRING", "defaultValue": value, "isOptional": True} for key, value in values.items()}


def _type(artifact: Artifact) -> dict[str, str]:
    kind = artifact.path.replace(":", "/").split("/", 1)[0]
    return {"schemaTitle": _TYPES.get(kind, "system.Artifact"), "schemaVersion": "0.0.1"}


def _importer_task(name: str, artifact: Artifact, source: Mapping[str, Any]) -> dict[str, Any]:
    uri: str = source["uri"]
    location = uri if has_scheme(uri, "gs") else f"gs://{ARTIFACT_BUCKET}/{content_key(source['sha256'])}"
    return {
        "taskInfo": {"name": name},
        "componentRef": {"name": f"comp-{name}"},
        "inputs": {"parameters": {"uri": {"runtimeValue": {"constant": location}}}},
    }


def _importer_component(name: str, artifact: Artifact) -> dict[str, Any]:
    return {
        "executorLabel": f"exec-{name}",
        "inputDefinitions": {"parameters": {"uri": {"parameterType": "STRING"}}},
        "outputDefinitions": {"artifacts": {"artifact": {"artifactType": _type(artifact)}}},
    }


def _step_task(step: Step) -> dict[str, Any]:
    artifacts = {}
    for artifact in step.inputs:
        producer, key = (artifact.producer, artifact.name) if artifact.producer else (f"import-{artifact.name}", "artifact")
        artifacts[artifact.name] = {"taskOutputArtifact": {"producerTask": producer, "outputArtifactKey": key}}
    task: dict[str, Any] = {"taskInfo": {"name": step.name}, "componentRef": {"name": f"comp-{step.name}"}}
    if artifacts:
        task["inputs"] = {"artifacts": artifacts}
    importers = sorted(f"import-{artifact.name}" for artifact in step.inputs if artifact.producer is None)
    if step.depends_on or importers:
        task["dependentTasks"] = [*step.depends_on, *importers]
    return task


def _step_component(step: Step) -> dict[str, Any]:
    component: dict[str, Any] = {"executorLabel": f"exec-{step.name}"}
    if step.inputs:
        component["inputDefinitions"] = {"artifacts": {a.name: {"artifactType": _type(a)} for a in step.inputs}}
    if step.outputs:
        component["outputDefinitions"] = {"artifacts": {a.name: {"artifactType": _type(a)} for a in step.outputs}}
    return component


def _container(step: Step, identity: Identity) -> dict[str, Any]:
    lines = ["set -eu"]
    args = []
    for position, artifact in enumerate(step.inputs, start=1):
        lines.append(f"mkdir -p {shlex.quote(posixpath.dirname(artifact.in_path))}")
        lines.append(f'ln -s "${{{position}}}" {shlex.quote(artifact.in_path)}')
        args.append(f"{{{{$.inputs.artifacts['{artifact.name}'].path}}}}")
    lines.append(shlex.join(step.command))
    for position, artifact in enumerate(step.outputs, start=len(step.inputs) + 1):
        lines.append(f'mkdir -p "$(dirname "${{{position}}}")"')
        lines.append(f'cp -R {shlex.quote(artifact.out_path)} "${{{position}}}"')
        args.append(f"{{{{$.outputs.artifacts['{artifact.name}'].path}}}}")
    return {
        "image": identity.image,
        "command": ["sh", "-c", "\n".join(lines), f"assay-{step.name}"],
        "args": args,
        "env": [{"name": name, "value": value} for name, value in runtime_environment(identity).items()],
    }
