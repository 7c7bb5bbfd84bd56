"""`assay inventory`: one row per model, every field as the specs and policies say."""

from __future__ import annotations

import csv
import datetime
import io
import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from support import AUDITED_MODEL, REPO_ROOT, AuditedHistory, audit_git, run_assay_process

TIER_DAYS = {1: 365, 2: 548, 3: 730, 4: 1095}


def inventory(root: Path, *extra: str) -> str:
    done = run_assay_process("inventory", "--repo", str(root), "--as-of", "2026-12-01", *extra)
    assert done.returncode == 0, done.stderr
    return done.stdout


def specs(root: Path) -> dict[str, dict[str, Any]]:
    return {p.parent.name: yaml.safe_load(p.read_text()) for p in sorted((root / "models").glob("*/model.yaml"))}


def person(entry: dict[str, str]) -> str:
    return f"{entry['name']} <{entry['email']}>"


def test_rows_match_the_specs() -> None:
    rows = {row["model"]: row for row in json.loads(inventory(REPO_ROOT, "--format", "json"))["models"]}
    expected = specs(REPO_ROOT)
    assert sorted(rows) == sorted(expected)
    for name, spec in expected.items():
        row, metadata = rows[name], spec["metadata"]
        assert row["title"] == metadata["title"] and row["version"] == metadata["version"]
        assert row["purpose"] == spec["documentation"]["purpose"]
        assert row["use"] == metadata["useCase"] and row["products"] == metadata["products"]
        assert row["tier"] == metadata["riskTier"] and row["status"] == metadata["status"]
        assert row["owner"] == person(metadata["owner"])
        assert row["developers"] == [person(p) for p in metadata["developers"]]
        assert row["validators"] == [person(p) for p in metadata.get("validators", [])]
        assert row["lastValidated"] == metadata.get("lastValidated")
        assert row["upstreamModels"] == metadata.get("upstreamModels", [])
        if metadata.get("lastValidated"):
            due = datetime.date.fromisoformat(metadata["lastValidated"]) + datetime.timedelta(days=TIER_DAYS[metadata["riskTier"]])
            assert row["nextReviewDue"] == due.isoformat()
        else:
            assert row["nextReviewDue"] is None
        assert row["openFindings"] == row["openErrors"] + row["openWarnings"]
    assert rows["aml-alert-scoring"]["waivers"] == ["REV-01 until 2027-02-28 (MRM-2026-031)"]


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    shutil.copytree(REPO_ROOT / "models", root / "models", ignore=shutil.ignore_patterns("data", "monitoring"))
    return root


def test_review_interval_comes_from_rev01_parameters_and_open_findings_are_counted(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\n")
    bundle = root / "policies" / "model-risk.yaml"
    default = "default: {'1': 365, '2': 548, '3': 730, '4': 1095}"
    assert default in bundle.read_text()
    bundle.write_text(bundle.read_text().replace(default, "default: {'1': 365, '2': 90, '3': 730, '4': 1095}"))
    waivers = root / "policies" / "waivers.yaml"
    waivers.write_text(waivers.read_text().replace('expires: "2027-02-28"', 'expires: "2026-11-01"'))
    rows = {row["model"]: row for row in json.loads(inventory(root, "--format", "json"))["models"]}
    fraud = rows["card-fraud-detection"]
    assert fraud["reviewIntervalDays"] == 90 and fraud["nextReviewDue"] == "2026-08-18"
    assert fraud["openWarnings"] >= 1, "the review is overdue at a 90-day interval: REV-01 warns"
    assert rows["consumer-credit-pd"]["reviewIntervalDays"] == 365
    aml = rows["aml-alert-scoring"]
    assert aml["openWarnings"] >= 1, "its waiver expired, so REV-01's finding is open again"
    check = run_assay_process("check", "--repo", str(root), "--as-of", "2026-12-01", "--format", "json")
    assert "REV-01" in check.stdout


def test_csv_and_markdown_hold_the_same_rows(tmp_path: Path) -> None:
    table = list(csv.DictReader(io.StringIO(inventory(REPO_ROOT, "--format", "csv"))))
    assert [row["model"] for row in table] == sorted(specs(REPO_ROOT))
    assert set(table[0]) >= {"purpose", "use", "products", "tier", "status", "owner", "developers", "validators"}
    assert set(table[0]) >= {"lastValidated", "nextReviewDue", "openFindings", "waivers", "upstreamModels"}
    markdown = inventory(REPO_ROOT, "--format", "markdown")
    assert markdown.count("\n") == 2 + len(table) and markdown.startswith("| model |")
    out = tmp_path / "inventory.csv"
    assert inventory(REPO_ROOT, "--out", str(out)) == ""
    assert out.read_text() == inventory(REPO_ROOT)


def test_remembered_evidence_facts_follow_the_record_bytes(repo: Path, history: AuditedHistory) -> None:
    """What the inventory remembers of a verified chain (.assay/cache/) is found again only for the same records."""
    audit_git(repo, "reset", "-q", "--hard", history.commits["promotion"])
    (row,) = json.loads(inventory(repo, "--format", "json"))["models"]
    assert row["openErrors"] == 0, row
    assert any((repo / ".assay" / "cache" / "v1" / "entries").rglob("*")), "the facts were remembered"
    assert json.loads(inventory(repo, "--format", "json"))["models"] == [row]
    tests = sorted((repo / "evidence" / AUDITED_MODEL / "records").glob("*-tests.dsse.json"))[-1]
    content = bytearray(tests.read_bytes())
    content[content.index(b'"sig"') + 12] ^= 0x01  # the promoted plan's test record no longer verifies
    tests.write_bytes(bytes(content))
    (tampered,) = json.loads(inventory(repo, "--format", "json"))["models"]
    assert tampered["openErrors"] == 1, "DEP-02: the promotion rests on no verified passing test"
    assert json.loads(inventory(repo, "--format", "json", "--no-cache"))["models"] == [tampered]
