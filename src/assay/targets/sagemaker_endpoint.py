"""SageMaker real-time endpoints: an endpoint config and the update that rolls it out.

The file holds two API requests, `CreateEndpointConfig` and `UpdateEndpoint`, and
an `Assay` block with the identity and the full strategy. SageMaker's blue/green
deployment guardrails carry the strategy: direct and blue-green shift all traffic
at once (blue-green keeps the old fleet for a while), a canary is CANARY, or
LINEAR when the spec says `linear`, sized by the first step's traffic. A wait
longer than SageMaker's one-hour maximum is capped; the `Assay` block keeps the
requested schedule. A shadow adds a shadow variant beside the live one, whose
model is the stable slot (`<model>-stable`, see `rollout`), sampled at the
mirror percentage. The Model of this version (`<model>-v1-2-0`: image, package,
role) is created from the package outside this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.targets.identity import Identity, cloud_tags
from assay.targets.naming import shorten, version_slug
from assay.targets.rollout import STABLE, first_pause_seconds, first_traffic, mirror_percent, strategy_type

DEFAULT_INSTANCE = "ml.m5.large"
MAX_WAIT_SECONDS = 3600
BLUE_GREEN_BAKE_SECONDS = 600
NAME_LIMIT = 63


def endpoint_context(identity: Identity, environment: Mapping[str, Any]) -> dict[str, Any]:
    endpoint = shorten(f"{identity.model}-{environment['name']}", NAME_LIMIT)
    config = shorten(f"{endpoint}-{version_slug(identity.version)}-{identity.digest[:8]}", NAME_LIMIT)
    notes = {
        "model": identity.model,
        "version": identity.version,
        "planDigest": identity.digest,
        "environment": environment["name"],
        "strategy": environment["strategy"],
    }
    if identity.description is not None:
        notes["description"] = identity.description
    endpoint_config: dict[str, Any] = {"EndpointConfigName": config, **_variants(identity, environment)}
    endpoint_config["Tags"] = [{"Key": key, "Value": value} for key, value in cloud_tags(identity, environment["name"]).items()]
    update = {"EndpointName": endpoint, "EndpointConfigName": config, "DeploymentConfig": _deployment_config(endpoint, environment)}
    return {"identity": identity, "notes": notes, "endpoint_config": endpoint_config, "update": update}


def model_name(identity: Identity) -> str:
    return shorten(f"{identity.model}-{version_slug(identity.version)}", NAME_LIMIT)


def _variant(name: str, model: str, resources: Mapping[str, Any], weight: float) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InitialInstanceCount": resources["replicas"],
        "InstanceType": resources.get("instanceType", DEFAULT_INSTANCE),
        "InitialVariantWeight": weight,
    }


def _variants(identity: Identity, environment: Mapping[str, Any]) -> dict[str, Any]:
    resources = environment["resources"]
    new = _variant(version_slug(identity.version), model_name(identity), resources, 1.0)
    if strategy_type(environment) != "shadow":
        return {"ProductionVariants": [new]}
    stable = _variant(STABLE, shorten(f"{identity.model}-{STABLE}", NAME_LIMIT), resources, 1.0)
    # A shadow variant receives (its weight / the production weight) of the requests.
    return {
        "ProductionVariants": [stable],
        "ShadowProductionVariants": [{**new, "InitialVariantWeight": mirror_percent(environment) / 100}],
    }


def _traffic_routing(environment: Mapping[str, Any]) -> dict[str, Any]:
    kind = strategy_type(environment)
    if kind != "canary" or first_traffic(environment) >= 100:
        wait = BLUE_GREEN_BAKE_SECONDS if kind == "blue-green" else 0
        return {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": wait}
    size = {"Type": "CAPACITY_PERCENT", "Value": first_traffic(environment)}
    wait = min(first_pause_seconds(environment), MAX_WAIT_SECONDS)
    if environment["strategy"].get("linear", False):
        return {"Type": "LINEAR", "WaitIntervalInSeconds": wait, "LinearStepSize": size}
    return {"Type": "CANARY", "WaitIntervalInSeconds": wait, "CanarySize": size}


def _deployment_config(endpoint: str, environment: Mapping[str, Any]) -> dict[str, Any]:
    termination = BLUE_GREEN_BAKE_SECONDS if strategy_type(environment) == "blue-green" else 0
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": _traffic_routing(environment), "TerminationWaitInSeconds": termination}
    }
    if environment["strategy"].get("rollback", {}).get("automatic", False):
        # The CloudWatch alarm that implements the spec's rollback condition, by name.
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": f"assay-{endpoint}-rollback"}]}
    return config
