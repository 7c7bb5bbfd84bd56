"""Monitoring's statistics: the worked CSI table of docs/monitoring.md, JS, KS, data quality, levels and test names."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.monitor import Threshold, column_drift, jensen_shannon, ks_statistic, report_tests, thresholds_from_spec
from assay.monitor.records import monitor_record, report_path
from assay.monitor.thresholds import worst
from assay.run.baseline import EPSILON, drift_baseline, population_stability
from support import REPO_ROOT

CSI = Threshold("csi", 0.10, 0.25)


def docs_table() -> list[list[str]]:
    text = (REPO_ROOT / "docs" / "monitoring.md").read_text()
    table = re.search(r"<!-- csi-worked-example: start -->\n(.*?)<!-- csi-worked-example: end -->", text, re.S)
    assert table is not None
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table.group(1).splitlines()]
    return rows[2:]  # header and alignment rows


def docs_example() -> tuple[dict[str, Any], pd.Series, list[list[str]], list[str]]:
    """The baseline entry and the batch of the worked example, built from the table's counts."""
    *rows, total = docs_table()
    by_bucket = {row[0]: row for row in rows}
    levels = [row[0] for row in rows if row[0] not in ("other", "missing")]
    n = int(total[1])
    counts = [int(by_bucket[level][1]) for level in levels]
    entry = {
        "name": "offer_channel",
        "role": "feature",
        "type": "categorical",
        "n": n,
        "levels": levels,
        "counts": counts,
        "proportions": [c / n for c in counts],
        "other": {"count": int(by_bucket["other"][1]), "proportion": int(by_bucket["other"][1]) / n},
        "missing": {"count": int(by_bucket["missing"][1]), "proportion": int(by_bucket["missing"][1]) / n},
    }
    values: list[str | None] = []
    for level in levels:
        values += [level] * int(by_bucket[level][3])
    values += ["kiosk"] * int(by_bucket["other"][3]) + [None] * int(by_bucket["missing"][3])
    return entry, pd.Series(values, dtype=object), rows, total


def test_the_worked_csi_table_of_the_docs_is_reproduced_exactly() -> None:
    entry, batch, rows, total = docs_example()
    result = column_drift(entry, batch, None, CSI)
    stability = population_stability(entry, batch)
    assert [b["bucket"] for b in result["buckets"]] == [row[0] for row in rows]
    for bucket, row in zip(result["buckets"], rows, strict=True):
        assert bucket["expected"] == float(row[2].split()[0])
        assert bucket["actual"] == float(row[4])
        assert bucket["contribution"] == float(row[5])
    assert result["csi"] == result["value"] == stability["value"] == float(total[-1].strip("*"))
    assert result["n"] == int(total[3]) and result["epsilon"] == EPSILON == 0.0001
    assert result["level"] == "warn" and result["statistic"] == "csi"
    assert result["unseenCategories"] == {"count": 5, "rate": 0.01, "baselineRate": 0.0, "examples": ["kiosk"]}
    assert result["missing"] == {"count": 5, "rate": 0.01, "baselineRate": 0.01}
    assert result["ks"] is None and "numeric" in result["undefined"]["ks"]
    assert result["topBucket"]["bucket"] == "mobile_app"


def test_the_empty_bucket_rule_by_hand() -> None:
    """A share of exactly 0 becomes epsilon in its own term only; empty on both sides gives 0."""
    other = next(row for row in docs_table() if row[0] == "other")
    assert float(other[5]) == float(f"{(0.01 - EPSILON) * math.log(0.01 / EPSILON):.6g}")
    e = np.array([0.46, 0.37, 0.12, 0.04, 0.0, 0.01])
    a = np.array([0.38, 0.34, 0.22, 0.04, 0.01, 0.01])
    by_hand = sum((x - y) * math.log(x / y) for x, y in zip(np.where(a == 0, EPSILON, a), np.where(e == 0, EPSILON, e), strict=True))
    assert float(f"{by_hand:.6g}") == 0.124026


def test_jensen_shannon_matches_the_docs_and_its_definition() -> None:
    entry, batch, _, _ = docs_example()
    assert column_drift(entry, batch, None, CSI)["jensenShannon"] == 0.137754
    e = np.array([460, 370, 120, 40, 0, 10]) / 1000
    a = np.array([190, 170, 110, 20, 5, 5]) / 500
    m = (e + a) / 2
    divergence = 0.5 * sum(x * math.log2(x / y) for x, y in zip(e, m, strict=True) if x) + 0.5 * sum(
        x * math.log2(x / y) for x, y in zip(a, m, strict=True) if x
    )
    assert float(f"{math.sqrt(divergence):.6g}") == 0.137754
    assert jensen_shannon([1, 0], [1, 0]) == 0.0
    assert jensen_shannon([1, 0], [0, 1]) == 1.0
    assert jensen_shannon([0, 0], [1, 1]) is None


def test_ks_is_the_two_sample_statistic_without_missing_values() -> None:
    assert ks_statistic([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0]) == 0.5
    assert ks_statistic([1.0, 2.0, math.nan], [1.0, 2.0, None]) == 0.0
    assert ks_statistic([1.0], [math.nan]) is None


@pytest.fixture
def numeric_baseline() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    scores = rng.uniform(0, 1, 2000)
    frame = pd.DataFrame({"income": rng.lognormal(11, 0.5, 2000)})
    return drift_baseline(scores, frame, [{"name": "income", "type": "numeric"}], bins=10)


def test_numeric_drift_counts_out_of_range_and_judges_by_the_named_statistic(numeric_baseline: dict[str, Any]) -> None:
    rng = np.random.default_rng(8)
    reference = rng.lognormal(11, 0.5, 2000)
    shifted = pd.Series(np.append(rng.lognormal(10.5, 0.5, 998), [-5.0, math.nan]))
    entry = numeric_baseline["features"][0]
    by_csi = column_drift(entry, shifted, reference, CSI, {"min": 0, "max": 2_000_000})
    assert by_csi["level"] == "alert" and by_csi["value"] == by_csi["csi"] > 0.25
    assert by_csi["outOfRange"] == {"range": {"min": 0, "max": 2_000_000}, "below": 1, "above": 0, "count": 1, "rate": 0.001}
    assert by_csi["missing"]["count"] == 1 and by_csi["unseenCategories"] is None
    assert 0.2 < by_csi["ks"] < 0.6 and 0 < by_csi["jensenShannon"] < 1
    by_ks = column_drift(entry, shifted, reference, Threshold("ks", 0.5, 0.9))
    assert by_ks["value"] == by_csi["ks"] and by_ks["level"] == "ok"
    without_rows = column_drift(entry, shifted, None, Threshold("ks", 0.1, 0.2))
    assert without_rows["level"] == "unmeasured" and "local store" in without_rows["undefined"]["ks"]
    stable = column_drift(entry, pd.Series(reference), reference, CSI)
    assert stable["level"] == "ok" and stable["csi"] < 0.01 and stable["ks"] == 0.0
    score = column_drift(numeric_baseline["score"], rng.uniform(0, 1, 500), None, Threshold("psi", 0.1, 0.25))
    assert "psi" in score and "csi" not in score and score["level"] == "ok"


def test_levels_thresholds_and_verdict() -> None:
    assert [CSI.judge(v) for v in (0.0, 0.0999, 0.10, 0.2499, 0.25, 3.0, None)] == [
        "ok",
        "ok",
        "warn",
        "warn",
        "alert",
        "alert",
        "unmeasured",
    ]
    spec = {"monitoring": {"score": {"statistic": "psi", "warn": 0.1, "alert": 0.2}, "performance": {"metric": "auc", "min": 0.6}}}
    spec["monitoring"]["escalation"] = {"name": "Ann Lee", "email": "ann@example.com"}
    thresholds = thresholds_from_spec(spec)
    assert thresholds.score == Threshold("psi", 0.1, 0.2)
    assert thresholds.features == Threshold("csi", 0.10, 0.25, "default")
    assert thresholds.performance is not None and thresholds.performance.judge(0.59) == "alert"
    assert thresholds.escalation == "Ann Lee <ann@example.com>"
    assert thresholds_from_spec({}).score.source == "default"
    assert worst(["ok", "ok"]) == "ok" and worst(["ok", "unmeasured"]) == "warn" and worst(["warn", "alert"]) == "alert"


def _report(levels: dict[str, str], floor: str | None) -> dict[str, Any]:
    return {
        "model": "m",
        "planDigest": "a" * 64,
        "baseline": {"sha256": "b" * 64, "path": "evidence/m/runs/x/reports/baseline.json"},
        "modelPackage": {"sha256": "c" * 64},
        "batch": {"sha256": "d" * 64, "name": "batch.csv"},
        "score": {"statistic": "psi", "level": levels.pop("score")},
        "features": [{"name": name, "statistic": "csi", "level": level} for name, level in levels.items()],
        "performance": {"floor": {"metric": "auc", "min": 0.6, "level": floor}} if floor else None,
    }


def test_report_tests_and_the_signed_statement() -> None:
    report = _report({"score": "alert", "a": "ok", "b": "warn", "c": "unmeasured"}, "ok")
    assert report_tests(report) == (
        ["drift:feature:a:csi", "performance:auc>=0.6"],
        ["drift:score:psi"],
        ["drift:feature:b:csi", "drift:feature:c:csi:unmeasured"],
    )
    record = monitor_record(report, "e" * 64, batch_uri="models/m/monitoring/batch.csv", issued_at=datetime(2026, 11, 30, tzinfo=UTC))
    statement = record.statement
    assert record.kind == "monitor"
    assert statement["predicateType"] == "https://in-toto.io/attestation/test-result/v0.1"
    assert statement["subject"] == [{"name": report_path("m", "d" * 64), "digest": {"sha256": "e" * 64}}]
    assert report_path("m", "d" * 64) == f"evidence/m/monitoring/{'d' * 64}/report.json"
    assert statement["predicate"]["result"] == "FAILED"
    names = [c["name"] for c in statement["predicate"]["configuration"]]
    assert names == ["plan/m", "reports/baseline.json", "package/model.skops", "data/batch"]
    calm = monitor_record(_report({"score": "ok", "a": "ok"}, None), "e" * 64, batch_uri=None, issued_at=datetime(2026, 11, 30, tzinfo=UTC))
    assert calm.statement["predicate"]["result"] == "PASSED"


def test_the_shipped_batches_regenerate_byte_for_byte() -> None:
    done = subprocess.run(
        [sys.executable, "tools/generate_monitoring_batches.py", "--check"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
