"""What every rendered document carries: the model, its version and the plan digest.

Kubernetes label values are at most 63 characters, so labels hold the first 16 hex
digits of the digest and an annotation holds all of it. Cloud tags take the full
digest. The spec's description travels as an annotation or description field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MODEL_LABEL = "assay.dev/model"
VERSION_LABEL = "assay.dev/version"
DIGEST_LABEL = "assay.dev/plan-digest"
ENVIRONMENT_LABEL = "assay.dev/environment"
DESCRIPTION_ANNOTATION = "assay.dev/description"
SHORT_DIGEST = 16
IMAGE_REPOSITORY = "ghcr.io/assay-dev/assay"

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Identity:
    """The fields of a plan that name what was rendered, and from which plan."""

    model: str
    version: str
    digest: str
    assay_version: str
    description: str | None

    @classmethod
    def of(cls, plan: Mapping[str, Any], digest: str) -> Identity:
        if not _DIGEST.match(digest):
            raise ValueError(f"plan digest must be 64 lowercase hex digits, got {digest!r}")
        return cls(
            model=plan["model"],
            version=plan["version"],
            digest=digest,
            assay_version=plan["inputs"]["assay"]["version"],
            description=plan["spec"]["metadata"].get("description"),
        )

    @property
    def short_digest(self) -> str:
        return self.digest[:SHORT_DIGEST]

    @property
    def image(self) -> str:
        """The assay container image of the compiler version that made the plan."""
        return f"{IMAGE_REPOSITORY}:{self.assay_version}"


def k8s_labels(identity: Identity, environment: str | None = None) -> dict[str, str]:
    labels = {
        "app.kubernetes.io/name": identity.model,
        "app.kubernetes.io/managed-by": "assay",
        MODEL_LABEL: identity.model,
        VERSION_LABEL: identity.version,
        DIGEST_LABEL: identity.short_digest,
    }
    if environment is not None:
        labels[ENVIRONMENT_LABEL] = environment
    return labels


def k8s_annotations(identity: Identity, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    annotations = {DIGEST_LABEL: identity.digest}
    if identity.description is not None:
        annotations[DESCRIPTION_ANNOTATION] = identity.description
    annotations.update(extra or {})
    return annotations


def k8s_metadata(identity: Identity, name: str, environment: str | None = None, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    """ObjectMeta with assay's labels and annotations."""
    return {"name": name, "labels": k8s_labels(identity, environment), "annotations": k8s_annotations(identity, extra)}


def cloud_tags(identity: Identity, environment: str | None = None) -> dict[str, str]:
    """Tags for SageMaker and Azure ML resources: the full digest fits their value limits."""
    tags = {MODEL_LABEL: identity.model, VERSION_LABEL: identity.version, DIGEST_LABEL: identity.digest}
    if environment is not None:
        tags[ENVIRONMENT_LABEL] = environment
    return tags


def runtime_environment(identity: Identity) -> dict[str, str]:
    """Environment variables for training containers, so a step can check which plan it runs."""
    return {"ASSAY_MODEL": identity.model, "ASSAY_MODEL_VERSION": identity.version, "ASSAY_PLAN_DIGEST": identity.digest}
