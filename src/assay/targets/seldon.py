"""Seldon Core v2: a `Model` per environment, and an `Experiment` for canary and shadow.

Clients call the model by its name, which is the stable slot (see `rollout`).
Direct and blue-green releases update that `Model` in place (Seldon loads the new
artifact before it unloads the old one). Canary and shadow releases add a
candidate `Model` named after the version, and an `Experiment` whose default is
the stable model: a canary splits traffic by weight, a shadow mirrors a percentage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.targets.identity import Identity, k8s_metadata
from assay.targets.naming import model_store_uri, shorten, version_slug
from assay.targets.rollout import first_traffic, mirror_percent, strategy_annotation, strategy_type

EXPERIMENT_STRATEGIES = frozenset({"canary", "shadow"})


def candidate_name(identity: Identity) -> str:
    return shorten(f"{identity.model}-{version_slug(identity.version)}", 63)


def model_name(identity: Identity, environment: Mapping[str, Any]) -> str:
    return candidate_name(identity) if strategy_type(environment) in EXPERIMENT_STRATEGIES else identity.model


def model_context(identity: Identity, environment: Mapping[str, Any]) -> dict[str, Any]:
    resources = environment["resources"]
    spec = {
        "storageUri": model_store_uri("s3", identity.model, identity.version),
        "requirements": ["mlflow"],
        "replicas": resources["replicas"],
        "memory": resources["memory"],
    }
    metadata = k8s_metadata(identity, model_name(identity, environment), environment["name"], strategy_annotation(environment))
    return {"identity": identity, "metadata": metadata, "spec": spec}


def experiment_context(identity: Identity, environment: Mapping[str, Any]) -> dict[str, Any]:
    stable, candidate = identity.model, candidate_name(identity)
    spec: dict[str, Any] = {"default": stable, "resourceType": "model"}
    if strategy_type(environment) == "canary":
        traffic = first_traffic(environment)
        spec["candidates"] = [{"name": stable, "weight": 100 - traffic}, {"name": candidate, "weight": traffic}]
    else:
        spec["candidates"] = [{"name": stable, "weight": 100}]
        spec["mirror"] = {"name": candidate, "percent": mirror_percent(environment)}
    name = shorten(f"{identity.model}-rollout", 63)
    metadata = k8s_metadata(identity, name, environment["name"], strategy_annotation(environment))
    return {"identity": identity, "metadata": metadata, "spec": spec}
