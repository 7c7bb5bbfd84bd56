"""Charts across versions as geometry for an inline SVG: AUC and KS per run, AIR per group, score PSI. Pure.

Python computes every coordinate; the HTML template only draws what it is given
(through Jinja2's autoescaping), so a chart needs no script and no network. Each
series has its own colour and dash pattern, so charts still read when printed in
grey. Points from records that did not verify are drawn hollow and say so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assay.audit.model import VERIFIED, Entry

WIDTH, HEIGHT = 600, 270
LEFT, RIGHT, TOP, BOTTOM = 52, 200, 16, 60
PALETTE = ("#1f4e9c", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#a16207", "#be185d", "#334155", "#4d7c0f")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    verified: bool


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    dash: str
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Rule:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    caption: str
    width: int
    height: int
    plot: tuple[float, float, float, float]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    series: tuple[Series, ...]
    rules: tuple[Rule, ...]


Values = Mapping[str, Sequence[float | None]]


def line_chart(
    chart_id: str, title: str, caption: str, labels: Sequence[str], values: Values, verified: Sequence[bool], rules: Mapping[str, float]
) -> Chart | None:
    """A chart of one value per label for each named series; None when there is nothing to draw."""
    numbers = [v for series in values.values() for v in series if v is not None]
    if not numbers:
        return None
    low, high = _range([*numbers, *rules.values()])
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    step = (right - LEFT) / max(len(labels), 1)

    def x_at(index: int) -> float:
        return LEFT + step * (index + 0.5)

    def y_at(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - TOP)

    series = []
    for number, (name, points) in enumerate(values.items()):
        drawn = tuple(
            Point(x_at(i), y_at(v), f"{name}, {labels[i]}: {v:g}{'' if verified[i] else ' (not verified)'}", verified[i])
            for i, v in enumerate(points)
            if v is not None
        )
        if drawn:
            series.append(Series(name, PALETTE[number % len(PALETTE)], DASHES[number % len(DASHES)], drawn))
    y_ticks = tuple(Tick(y_at(v), f"{v:g}") for v in _ticks(low, high))
    x_ticks = tuple(Tick(x_at(i), label) for i, label in enumerate(labels))
    drawn_rules = tuple(Rule(y_at(v), f"{name} {v:g}") for name, v in rules.items())
    return Chart(chart_id, title, caption, WIDTH, HEIGHT, (LEFT, TOP, right, bottom), x_ticks, y_ticks, tuple(series), drawn_rules)


def _range(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if math.isclose(low, high):
        low, high = low - 0.05, high + 0.05
    pad = (high - low) * 0.08
    return low - pad, high + pad


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(count + 2) if first + i * step <= high]


def run_label(entry: Entry) -> str:
    return f"{entry.data.get('version') or '?'} {str(entry.data.get('planDigest') or '')[:6]}"


def audit_charts(entries: Sequence[Entry], limits: Mapping[str, float]) -> list[Chart]:
    """The report's charts: performance and fairness per run, drift per monitoring result (those with data)."""
    runs = [e for e in entries if e.kind == "run"]
    labels = [run_label(e) for e in runs]
    verified = [e.status == VERIFIED for e in runs]
    performance: dict[str, list[float | None]] = {}
    for metric, name in (("auc", "AUC"), ("ks", "KS")):
        for dataset in sorted({d for e in runs for d in e.data.get("metrics", {})}, key=lambda d: (d != "test", d)):
            performance[f"{name} {dataset}"] = [e.data.get("metrics", {}).get(dataset, {}).get(metric) for e in runs]
    fairness: dict[str, list[float | None]] = {}
    for index, entry in enumerate(runs):
        for row in entry.data.get("fairness", []):
            key = f"{row['attribute']}: {row['group']}"
            fairness.setdefault(key, [None] * len(runs))[index] = row["metrics"].get("adverseImpactRatio", {}).get("value")
    monitors = [e for e in entries if e.kind == "monitor" and e.data.get("psi") is not None]
    charts = [
        line_chart("chart-performance", "Performance per run", "AUC and KS on each data set", labels, performance, verified, {}),
        line_chart(
            "chart-fairness",
            "Adverse impact ratio per group",
            "Each protected group's favourable rate over its reference group's",
            labels,
            fairness,
            verified,
            {k: v for k, v in limits.items() if k == "AIR min"},
        ),
        line_chart(
            "chart-drift",
            "Score drift (PSI) per monitoring result",
            "Population stability index of the score against the training baseline",
            [str(e.data.get("batch") or e.when[:10]).rsplit("/", 1)[-1] for e in monitors],
            {"score PSI": [e.data["psi"] for e in monitors]},
            [e.status == VERIFIED for e in monitors],
            {k: v for k, v in limits.items() if k.startswith("PSI")},
        ),
    ]
    return [chart for chart in charts if chart is not None]


def spec_limits(spec: Mapping[str, object]) -> dict[str, float]:
    """Reference lines from the current spec: the AIR minimum and the PSI warn and alert levels."""
    limits: dict[str, float] = {}
    fairness = spec.get("fairness")
    if isinstance(fairness, Mapping):
        for metric in fairness.get("metrics", []):
            if isinstance(metric, Mapping) and metric.get("metric") == "adverseImpactRatio" and isinstance(metric.get("min"), int | float):
                limits["AIR min"] = float(metric["min"])
    monitoring = spec.get("monitoring")
    score = monitoring.get("score") if isinstance(monitoring, Mapping) else None
    if isinstance(score, Mapping):
        for level in ("warn", "alert"):
            if isinstance(score.get(level), int | float):
                limits[f"PSI {level}"] = float(score[level])
    return limits
