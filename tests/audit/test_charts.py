"""Chart geometry: pure, every value placed inside the plot, unverified points marked, reference lines drawn."""

from __future__ import annotations

from assay.audit.charts import audit_charts, line_chart, spec_limits
from assay.audit.model import Entry


def _run(version: str, auc: float, air: float, status: str = "verified") -> Entry:
    data = {
        "version": version,
        "planDigest": version.replace(".", "") * 8,
        "metrics": {"test": {"auc": auc, "ks": auc - 0.4}},
        "fairness": [{"attribute": "race", "group": "black", "metrics": {"adverseImpactRatio": {"value": air}}}],
    }
    return Entry("run", "2026-01-01T00:00:00Z", None, "run", status, (), (), data)


def test_points_sit_inside_the_plot_in_run_order() -> None:
    chart = line_chart("c", "t", "c", ["a", "b", "c"], {"AUC": [0.7, None, 0.75]}, [True, True, False], {"min": 0.65})
    assert chart is not None
    left, top, right, bottom = chart.plot
    (series,) = chart.series
    assert [p.verified for p in series.points] == [True, False]
    assert all(left < p.x < right and top <= p.y <= bottom for p in series.points)
    assert series.points[0].x < series.points[1].x and series.points[1].y < series.points[0].y
    assert chart.rules[0].y > series.points[0].y and "(not verified)" in series.points[1].label


def test_nothing_to_draw_gives_no_chart() -> None:
    assert line_chart("c", "t", "c", [], {"x": []}, [], {}) is None
    assert audit_charts([], {}) == []


def test_audit_charts_from_runs_and_limits() -> None:
    entries = [_run("1.0.0", 0.71, 0.9), _run("1.1.0", 0.74, 0.78, "failed")]
    spec = {"fairness": {"metrics": [{"metric": "adverseImpactRatio", "min": 0.8}]}, "monitoring": {"score": {"warn": 0.1, "alert": 0.25}}}
    limits = spec_limits(spec)
    assert limits == {"AIR min": 0.8, "PSI warn": 0.1, "PSI alert": 0.25}
    performance, fairness = audit_charts(entries, limits)
    assert [s.name for s in performance.series] == ["AUC test", "KS test"]
    assert [t.label for t in performance.x_ticks] == ["1.0.0 100100", "1.1.0 110110"]
    assert [r.label for r in fairness.rules] == ["AIR min 0.8"] and fairness.series[0].points[1].verified is False
    monitors = [Entry("monitor", "2026-02-01T00:00:00Z", None, "m", "verified", (), (), {"psi": 0.3})]
    drift = audit_charts(monitors, limits)[0]
    assert drift.id == "chart-drift" and [r.label for r in drift.rules] == ["PSI warn 0.1", "PSI alert 0.25"]
