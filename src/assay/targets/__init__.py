"""Target manifests: a compiled Plan in, the files each serving and training system reads out.

`render_targets(plan, plan_digest)` returns `{relative file name: text}` for the
plan's deployment target: an Argo Workflows `Workflow` for training on Kubernetes
always, plus KServe `InferenceService`s, Seldon Core v2 `Model`s and `Experiment`s,
a SageMaker pipeline definition and endpoint rollouts, Azure ML job, endpoint and
deployment YAML, or a Kubeflow/Vertex `PipelineSpec`. Pure: it reads only the
packaged templates.

Small functions build each document as Python data; Jinja2 templates under
`templates/` lay it out. They render in an immutable sandbox with StrictUndefined,
and a value can reach the output only through the escaping `tojson` and `toyaml`
filters. Every document carries the model, its version and the plan digest
(`assay.dev/model`, `assay.dev/version`, `assay.dev/plan-digest`). Any failure is a
`TargetRenderError` that names the template.
"""

from assay.targets.environment import TargetRenderError
from assay.targets.render import render_targets

__all__ = ["TargetRenderError", "render_targets"]
