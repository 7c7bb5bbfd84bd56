"""The spec's monitoring levels, and how a measured value is judged against them.

A drift statistic is judged with `warn` and `alert` levels: at or above `alert`
is an alert, at or above `warn` a warning, below it ok; a value that could not
be measured is `unmeasured`. A performance metric is judged with a floor: below
`min` is an alert. A spec without a `monitoring` section (or without
`monitoring.features`) is judged with the conventional PSI reading (warn 0.10,
alert 0.25; docs/drift.md), and the report says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Level = Literal["ok", "warn", "alert", "unmeasured"]
LEVELS: tuple[Level, ...] = ("ok", "warn", "alert", "unmeasured")
DEFAULT_WARN = 0.10
DEFAULT_ALERT = 0.25
# The statistics a driftThreshold may name; psi and csi are the same index (of the score, of a feature).
STABILITY = frozenset({"psi", "csi"})


@dataclass(frozen=True)
class Threshold:
    """Warn and alert levels of one drift statistic (psi, csi, ks or jensenShannon)."""

    statistic: str
    warn: float
    alert: float
    source: str = "spec"

    def judge(self, value: float | None) -> Level:
        if value is None:
            return "unmeasured"
        if value >= self.alert:
            return "alert"
        return "warn" if value >= self.warn else "ok"

    def as_json(self) -> dict[str, Any]:
        return {"statistic": self.statistic, "warn": self.warn, "alert": self.alert, "source": self.source}


@dataclass(frozen=True)
class PerformanceFloor:
    """A performance metric that alerts below `minimum`."""

    metric: str
    minimum: float

    def judge(self, value: float | None) -> Level:
        if value is None:
            return "unmeasured"
        return "alert" if value < self.minimum else "ok"

    def as_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "min": self.minimum}


@dataclass(frozen=True)
class Thresholds:
    """Everything monitoring judges a batch by, from one spec."""

    score: Threshold
    features: Threshold
    performance: PerformanceFloor | None
    escalation: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "score": self.score.as_json(),
            "features": self.features.as_json(),
            "performance": self.performance.as_json() if self.performance else None,
            "escalation": self.escalation,
        }


def _threshold(section: Any, statistic: str) -> Threshold:
    if not isinstance(section, Mapping):
        return Threshold(statistic, DEFAULT_WARN, DEFAULT_ALERT, "default")
    return Threshold(str(section.get("statistic", statistic)), float(section["warn"]), float(section["alert"]))


def thresholds_from_spec(spec: Mapping[str, Any]) -> Thresholds:
    """The levels of `spec`'s monitoring section (the spec the model was trained from)."""
    monitoring = spec.get("monitoring")
    monitoring = monitoring if isinstance(monitoring, Mapping) else {}
    performance = monitoring.get("performance")
    floor = PerformanceFloor(str(performance["metric"]), float(performance["min"])) if isinstance(performance, Mapping) else None
    escalation = monitoring.get("escalation")
    contact = None
    if isinstance(escalation, Mapping) and escalation.get("name"):
        contact = f"{escalation['name']} <{escalation['email']}>" if escalation.get("email") else str(escalation["name"])
    return Thresholds(_threshold(monitoring.get("score"), "psi"), _threshold(monitoring.get("features"), "csi"), floor, contact)


def worst(levels: list[Level]) -> Level:
    """The verdict of several levels: alert over warn (or unmeasured) over ok."""
    if "alert" in levels:
        return "alert"
    if "warn" in levels or "unmeasured" in levels:
        return "warn"
    return "ok"
