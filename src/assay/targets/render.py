"""render_targets: a plan and its digest in, the target files of its deployment target out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2

from assay.targets import argo, azureml, kserve, sagemaker_endpoint, sagemaker_pipeline, seldon, vertex
from assay.targets.environment import TargetRenderError, make_environment, render_template
from assay.targets.identity import Identity

Context = Callable[[Identity], dict[str, Any]]
Document = tuple[str, str, Context]  # file name, template, context builder
Environment = Mapping[str, Any]


def render_targets(plan: Mapping[str, Any], plan_digest: str) -> dict[str, str]:
    """Every file for the plan's target, by relative name, in name order. Pure and deterministic.

    `argo-workflow.yaml` (training on Kubernetes) comes with every target; the
    serving files depend on `deployment.target`. Raises TargetRenderError, naming
    the template (or "plan"), when the plan lacks a field a template needs.
    """
    environment = make_environment()
    files = {name: _render(environment, template, build, plan, plan_digest) for name, template, build in documents(plan)}
    return dict(sorted(files.items()))


def documents(plan: Mapping[str, Any]) -> list[Document]:
    """Which files the plan's target gets, with the template and context of each."""
    try:
        target: str = plan["deployment"]["target"]
        environments: list[Environment] = list(plan["deployment"]["environments"])
    except (LookupError, TypeError) as error:
        raise TargetRenderError("plan", f"the plan has no deployment target or environments ({error!r})") from error
    if target not in _SERVING:
        raise TargetRenderError("plan", f"unknown deployment target {target!r}")
    found: list[Document] = [("argo-workflow.yaml", "argo-workflow.yaml.j2", lambda identity: argo.workflow_context(plan, identity))]
    found.extend(_SERVING[target](plan, environments))
    return found


def _render(environment: jinja2.Environment, template: str, build: Context, plan: Mapping[str, Any], digest: str) -> str:
    try:
        context = build(Identity.of(plan, digest))
    except (LookupError, TypeError, ValueError) as error:
        message = f"the plan has no field {error.args[0]!r}" if isinstance(error, KeyError) else str(error)
        raise TargetRenderError(template, message) from error
    return render_template(environment, template, context)


def _kserve(plan: Mapping[str, Any], environments: list[Environment]) -> list[Document]:
    return [
        (f"kserve-{env['name']}.yaml", "kserve-inferenceservice.yaml.j2", _bind(kserve.inference_service_context, env))
        for env in environments
    ]


def _seldon(plan: Mapping[str, Any], environments: list[Environment]) -> list[Document]:
    found: list[Document] = []
    for env in environments:
        found.append((f"seldon-model-{env['name']}.yaml", "seldon-model.yaml.j2", _bind(seldon.model_context, env)))
        if env["strategy"]["type"] in seldon.EXPERIMENT_STRATEGIES:
            found.append((f"seldon-experiment-{env['name']}.yaml", "seldon-experiment.yaml.j2", _bind(seldon.experiment_context, env)))
    return found


def _sagemaker(plan: Mapping[str, Any], environments: list[Environment]) -> list[Document]:
    found: list[Document] = [
        ("sagemaker-pipeline.json", "sagemaker-pipeline.json.j2", lambda identity: sagemaker_pipeline.pipeline_context(plan, identity))
    ]
    found.extend(
        (f"sagemaker-endpoint-{env['name']}.json", "sagemaker-endpoint.json.j2", _bind(sagemaker_endpoint.endpoint_context, env))
        for env in environments
    )
    return found


def _azureml(plan: Mapping[str, Any], environments: list[Environment]) -> list[Document]:
    found: list[Document] = [("azureml-job.yaml", "azureml-job.yaml.j2", lambda identity: azureml.job_context(plan, identity))]
    for env in environments:
        found.append((f"azureml-endpoint-{env['name']}.yaml", "azureml-endpoint.yaml.j2", _bind(azureml.endpoint_context, env)))
        found.append((f"azureml-deployment-{env['name']}.yaml", "azureml-deployment.yaml.j2", _bind(azureml.deployment_context, env)))
    return found


def _vertex(plan: Mapping[str, Any], environments: list[Environment]) -> list[Document]:
    return [("vertex-pipeline.json", "vertex-pipeline.json.j2", lambda identity: vertex.pipeline_context(plan, identity))]


def _local(plan: Mapping[str, Any], environments: list[Environment]) -> list[Document]:
    return []


def _bind(build: Callable[[Identity, Environment], dict[str, Any]], env: Environment) -> Context:
    return lambda identity: build(identity, env)


_SERVING: dict[str, Callable[[Mapping[str, Any], list[Environment]], list[Document]]] = {
    "kserve": _kserve,
    "seldon": _seldon,
    "sagemaker": _sagemaker,
    "azureml": _azureml,
    "vertex": _vertex,
    "local": _local,
}
