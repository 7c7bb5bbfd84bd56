"""Release strategies as the serving targets see them.

A rendered environment is the first step of its rollout: a canary starts at its
first step's traffic, a shadow mirrors its percentage, blue-green stands the new
version up beside the live one. The rest of the schedule rides along in an
annotation (or the target's own notes) for whoever advances it.

Targets without native revisions (Seldon, Azure ML, a SageMaker shadow variant)
need a name for the live version. By convention it is the stable slot: direct
releases update the stable slot in place; canary, shadow and blue-green releases
add a candidate named after the version beside it, and finishing a rollout
re-applies the release as direct, so the stable slot carries the new version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

STABLE = "stable"
TWO_VERSION_STRATEGIES = frozenset({"canary", "shadow", "blue-green"})
STRATEGY_ANNOTATION = "assay.dev/strategy"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def strategy_type(environment: Mapping[str, Any]) -> str:
    kind: str = environment["strategy"]["type"]
    return kind


def first_traffic(environment: Mapping[str, Any]) -> int:
    """Percent of traffic the new version takes at the first canary step."""
    traffic: int = environment["strategy"]["steps"][0]["traffic"]
    return traffic


def first_pause_seconds(environment: Mapping[str, Any]) -> int:
    """How long the first canary step holds, in seconds (0 when the spec gives no pause)."""
    pause = environment["strategy"]["steps"][0].get("pause")
    if pause is None:
        return 0
    match = re.fullmatch(r"([0-9]+)([smhd])", pause)
    if not match:
        raise ValueError(f"pause {pause!r} is not a duration like '30m' or '24h'")
    return int(match.group(1)) * _UNITS[match.group(2)]


def mirror_percent(environment: Mapping[str, Any]) -> int:
    percent: int = environment["strategy"]["mirrorPercent"]
    return percent


def strategy_annotation(environment: Mapping[str, Any]) -> dict[str, str]:
    """The whole strategy (steps, pauses, rollback condition) as canonical JSON text."""
    return {STRATEGY_ANNOTATION: json.dumps(environment["strategy"], sort_keys=True, separators=(",", ":"))}
