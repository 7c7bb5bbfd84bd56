"""Names and locations shared by the targets: artifacts, resource names, storage URIs.

Conventions (one place, so every target agrees):
- An artifact's name is its plan path with every other character turned into '-'
  ("reports/metrics.json" -> "reports-metrics-json", "source:train" -> "source-train").
- Inside a step container, input `P` is at `/assay/in/P` and output `P` at
  `/assay/out/P`; a data source `source:NAME` is at `/assay/in/source/NAME`.
- A data source whose URI has a scheme the platform reads is used as is; a
  repository-relative one is addressed by its sha256 in the platform's store
  (`.../assay/data/sha256/<digest>`), so the bytes a step reads are the bytes pinned.
- The packaged model of a version is served from `<store>/assay-models/<model>/<version>`.
"""

from __future__ import annotations

import hashlib
import re

IN_ROOT = "/assay/in"
OUT_ROOT = "/assay/out"
SOURCE_PREFIX = "source:"
MODEL_BUCKET = "assay-models"
ARTIFACT_BUCKET = "assay-artifacts"


def artifact_name(path: str) -> str:
    """A name for a plan artifact that Argo, KFP and SageMaker all accept."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")
    if not name:
        raise ValueError(f"artifact {path!r} has no usable name")
    return name


def artifact_path(path: str) -> str:
    """Where an artifact sits under the in/out roots ("source:train" -> "source/train")."""
    if path.startswith(SOURCE_PREFIX):
        return "source/" + path.removeprefix(SOURCE_PREFIX)
    return path.rstrip("/")


def source_role(path: str) -> str | None:
    """ "train" for "source:train"; None for an artifact made by a step."""
    return path.removeprefix(SOURCE_PREFIX) if path.startswith(SOURCE_PREFIX) else None


def shorten(name: str, limit: int) -> str:
    """`name` if it fits, else a prefix and 8 hex digits of its sha256 (stable, still unique)."""
    if len(name) <= limit:
        return name
    suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[: limit - len(suffix) - 1].rstrip("-") + "-" + suffix


def version_slug(version: str) -> str:
    """ "1.2.0" -> "v1-2-0": a version usable in DNS-style names."""
    return "v" + re.sub(r"[^a-z0-9]+", "-", version.lower()).strip("-")


def content_key(sha256: str) -> str:
    """The storage key of a data file addressed by its digest."""
    return f"assay/data/sha256/{sha256}"


def has_scheme(uri: str, *schemes: str) -> bool:
    return any(uri.startswith(scheme + "://") for scheme in schemes)


def split_bucket(uri: str) -> tuple[str, str]:
    """("bucket", "key") of "s3://bucket/key" or "gs://bucket/key"."""
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def model_store_uri(scheme: str, model: str, version: str) -> str:
    return f"{scheme}://{MODEL_BUCKET}/{model}/{version}"
