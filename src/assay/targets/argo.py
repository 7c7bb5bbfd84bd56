"""Argo Workflows: the training plan as a `Workflow` whose DAG tasks are the plan's steps.

Each task runs a container template that executes exactly the step's command.
Outputs leave through output artifacts at `/assay/out/<path>`; a later task gets
them as input artifacts at `/assay/in/<path>` (`from: {{tasks.P.outputs.artifacts.N}}`).
Data sources enter as workflow arguments of the entrypoint DAG.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.targets.identity import DIGEST_LABEL, Identity, k8s_annotations, k8s_labels, runtime_environment
from assay.targets.naming import content_key, has_scheme, shorten, split_bucket
from assay.targets.steps import Artifact, Step, sources, training_steps

ENTRYPOINT = "train"
IMAGE_PARAMETER = "{{workflow.parameters.image}}"


def workflow_context(plan: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    steps = training_steps(plan)
    metadata = {
        "generateName": shorten(f"train-{identity.model}", 57) + "-",
        "labels": k8s_labels(identity),
        "annotations": k8s_annotations(identity),
    }
    return {"identity": identity, "metadata": metadata, "spec": _spec(plan, identity, steps)}


def _spec(plan: Mapping[str, Any], identity: Identity, steps: list[Step]) -> dict[str, Any]:
    data = plan["inputs"]["data"]
    used = sources(steps)
    arguments: dict[str, Any] = {"parameters": [{"name": "image", "value": identity.image}]}
    if used:
        arguments["artifacts"] = [_source_argument(artifact, data[artifact.role]) for artifact in used if artifact.role]
    dag: dict[str, Any] = {"name": ENTRYPOINT, "dag": {"tasks": [_task(step) for step in steps]}}
    if used:
        dag["inputs"] = {"artifacts": [{"name": artifact.name} for artifact in used]}
    return {
        "entrypoint": ENTRYPOINT,
        "arguments": arguments,
        "podMetadata": {"labels": k8s_labels(identity), "annotations": {DIGEST_LABEL: identity.digest}},
        "securityContext": {"runAsNonRoot": True},
        "templates": [dag, *(_container_template(step, identity) for step in steps)],
    }


def _source_argument(artifact: Artifact, source: Mapping[str, Any]) -> dict[str, Any]:
    uri: str = source["uri"]
    if has_scheme(uri, "s3"):
        bucket, key = split_bucket(uri)
        return {"name": artifact.name, "s3": {"bucket": bucket, "key": key}}
    if has_scheme(uri, "gs"):
        bucket, key = split_bucket(uri)
        return {"name": artifact.name, "gcs": {"bucket": bucket, "key": key}}
    if has_scheme(uri, "http", "https"):
        return {"name": artifact.name, "http": {"url": uri}}
    # A repository path: read by digest from the workflow's default artifact repository.
    return {"name": artifact.name, "s3": {"key": content_key(source["sha256"])}}


def _task(step: Step) -> dict[str, Any]:
    task: dict[str, Any] = {"name": step.name, "template": f"step-{step.name}"}
    if step.depends_on:
        task["dependencies"] = list(step.depends_on)
    if step.inputs:
        task["arguments"] = {"artifacts": [{"name": artifact.name, "from": _from(artifact)} for artifact in step.inputs]}
    return task


def _from(artifact: Artifact) -> str:
    if artifact.producer is None:
        return f"{{{{inputs.artifacts.{artifact.name}}}}}"
    return f"{{{{tasks.{artifact.producer}.outputs.artifacts.{artifact.name}}}}}"


def _container_template(step: Step, identity: Identity) -> dict[str, Any]:
    template: dict[str, Any] = {"name": f"step-{step.name}"}
    if step.inputs:
        template["inputs"] = {"artifacts": [{"name": artifact.name, "path": artifact.in_path} for artifact in step.inputs]}
    if step.outputs:
        template["outputs"] = {"artifacts": [{"name": artifact.name, "path": artifact.out_path} for artifact in step.outputs]}
    template["container"] = {
        "image": IMAGE_PARAMETER,
        "command": list(step.command),
        "env": [{"name": name, "value": value} for name, value in runtime_environment(identity).items()],
    }
    return template
