"""The shipped policy library: every spec-judgeable rule of POLICY-LIBRARY.md is there, tested, covered,
and silent on the examples (or waived with a reason)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import yaml

from support import REPO_ROOT, SHARED_SCHEMAS, RunAssay, write_repo

SPEC_RULES = {
    "INV-01", "INV-02", "INV-03", "VAL-01", "VAL-03", "VAL-05", "VAL-06", "DOC-01", "CHG-02", "MON-01", "REV-01",
    "PERF-01", "STAB-01", "FL-01", "FL-02", "FL-03", "FL-04", "FL-05", "AA-01", "AA-02", "REC-01", "MKT-01",
    "PII-01", "PII-02", "PII-03", "AML-01", "SEC-01", "DEP-01", "CECL-01", "EU-01", "COST-01",
}  # fmt: skip


def library_rule_ids() -> set[str]:
    ids = set()
    for path in (REPO_ROOT / "policies").glob("*.yaml"):
        document = yaml.safe_load(path.read_text())
        if document.get("kind") == "PolicyBundle":
            ids |= {rule["id"] for rule in document["rules"]}
    return ids


def test_every_spec_judgeable_rule_is_encoded() -> None:
    assert library_rule_ids() >= SPEC_RULES


def test_policy_test_passes_with_full_coverage(run_assay: RunAssay) -> None:
    done = run_assay("policy", "test", "--format", "json")
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    assert report["uncovered"] == []
    assert {case["rule"] for case in report["cases"]} == library_rule_ids()


def test_examples_pass_the_library(run_assay: RunAssay) -> None:
    done = run_assay("check", "--format", "json", "--as-of", "2026-11-29")
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    unwaived = [d for d in report["diagnostics"] if not d["waived"] and d["severity"] != "note"]
    assert unwaived == []
    waived = [(d["code"], d["file"]) for d in report["diagnostics"] if d["waived"]]
    assert waived == [("REV-01", "models/aml-alert-scoring/model.yaml")]


def test_expired_waiver_does_not_apply_and_says_so(run_assay: RunAssay) -> None:
    done = run_assay("check", "--format", "json", "--as-of", "2027-03-01")
    (finding,) = [d for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "REV-01"]
    assert finding["waived"] is False
    assert finding["waiver"]["rejectedBecause"] == "it expired on 2027-02-28"


def test_sarif_carries_rule_metadata_and_validates(run_assay: RunAssay, tmp_path: Path) -> None:
    spec = (
        (REPO_ROOT / "models" / "consumer-credit-pd" / "model.yaml").read_text().replace("- name: loan_purpose", "- name: applicant_race")
    )
    write_repo(tmp_path, {"models/consumer-credit-pd/model.yaml": spec})
    shutil.copytree(REPO_ROOT / "policies", tmp_path / "policies")
    done = run_assay("check", "--format", "sarif", "--as-of", "2026-11-29", cwd=tmp_path)
    assert done.returncode == 1
    log = json.loads(done.stdout)
    jsonschema.Draft4Validator(json.loads((SHARED_SCHEMAS / "sarif-schema-2.1.0.json").read_text())).validate(log)
    run = log["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert "FL-01" in rules
    assert any("1002.6" in reference for reference in rules["FL-01"]["properties"]["references"])
    assert rules["FL-01"]["help"]["text"]
    (result,) = [r for r in run["results"] if r["ruleId"] == "FL-01"]
    assert result["level"] == "error"
    line = spec[: spec.index("- name: applicant_race")].count("\n") + 1
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line


def test_rules_judge_the_compiled_plan(run_assay: RunAssay, tmp_path: Path) -> None:
    original = (REPO_ROOT / "models" / "consumer-credit-pd" / "model.yaml").read_text()
    spec = original.replace('resources: {replicas: 3, cpu: "1", memory: 2Gi}', 'resources: {replicas: 300, cpu: "16", memory: 64Gi}')
    assert spec != original
    write_repo(tmp_path, {"models/consumer-credit-pd/model.yaml": spec})
    shutil.copytree(REPO_ROOT / "policies", tmp_path / "policies")
    done = run_assay("check", "--format", "json", "--as-of", "2026-11-29", cwd=tmp_path)
    (finding,) = [d for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "COST-01"]
    assert finding["severity"] == "warning"
    assert finding["line"] == spec[: spec.index("resources: {replicas: 300")].count("\n") + 1
    assert "$242476.80 a month" in finding["message"]
