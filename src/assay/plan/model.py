"""Plan values: what a plan is compiled from, and the compiled plan with its digest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PLAN_API_VERSION = "assay/v1"


@dataclass(frozen=True)
class Prices:
    """The bank's rates for cost estimates, in US dollars (assay.yaml `prices`, documented defaults)."""

    cpu_hour: float = 0.048
    memory_gib_hour: float = 0.0053
    instance_hour: Mapping[str, float] = field(default_factory=dict)
    hours_per_month: float = 730.0
    training_core_seconds_per_million_cells: float = 40.0


@dataclass(frozen=True)
class PlanContext:
    """Everything a plan pins besides the spec: where the spec came from, the policies, assay itself."""

    spec_path: str
    spec_blob: str
    spec_sha256: str
    policy_digest: str
    assay_version: str
    prices: Prices = field(default_factory=Prices)


@dataclass(frozen=True)
class CompiledPlan:
    """A plan as data, its canonical bytes (RFC 8785) and the sha256 of those bytes."""

    model: str
    data: Mapping[str, Any]
    canonical: bytes
    digest: str
