"""KServe: one `InferenceService` per environment, serving the MLflow package of this version.

KServe keeps revisions itself, so the live service keeps its name (the model's):
a canary sets `canaryTrafficPercent` to the first step's traffic and blue-green
stands the new revision up at 0 percent (both need Knative, hence Serverless).
A shadow is a separate service named after the version; mirroring requests to it
is the mesh's job, described by the `assay.dev/mirror-*` annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.targets.identity import Identity, k8s_metadata
from assay.targets.naming import model_store_uri, shorten, version_slug
from assay.targets.rollout import first_traffic, mirror_percent, strategy_annotation, strategy_type

SERVERLESS = {"serving.kserve.io/deploymentMode": "Serverless"}


def inference_service_context(identity: Identity, environment: Mapping[str, Any]) -> dict[str, Any]:
    kind = strategy_type(environment)
    annotations = strategy_annotation(environment)
    name = identity.model
    if kind in ("canary", "blue-green"):
        annotations.update(SERVERLESS)
    if kind == "shadow":
        name = shorten(f"{identity.model}-{version_slug(identity.version)}", 63)
        annotations.update({"assay.dev/mirror-of": identity.model, "assay.dev/mirror-percent": str(mirror_percent(environment))})
    return {
        "identity": identity,
        "metadata": k8s_metadata(identity, name, environment["name"], annotations),
        "spec": {"predictor": _predictor(identity, environment, kind)},
    }


def _predictor(identity: Identity, environment: Mapping[str, Any], kind: str) -> dict[str, Any]:
    resources = environment["resources"]
    predictor: dict[str, Any] = {"minReplicas": resources["replicas"], "maxReplicas": resources["replicas"]}
    if kind == "canary":
        predictor["canaryTrafficPercent"] = first_traffic(environment)
    elif kind == "blue-green":
        predictor["canaryTrafficPercent"] = 0
    quantities = {"cpu": resources["cpu"], "memory": resources["memory"]}
    predictor["model"] = {
        "modelFormat": {"name": "mlflow"},
        "protocolVersion": "v2",
        "storageUri": model_store_uri("s3", identity.model, identity.version),
        "resources": {"requests": quantities, "limits": dict(quantities)},
    }
    return predictor
