"""Every reporter formats the same result; SARIF validates against the official 2.1.0 schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from assay.check import CheckResult
from assay.diagnostics import Diagnostic, Location, RuleInfo, Severity, WaiverStatus
from assay.report import REPORTERS
from assay.schema import build_schema_set, bundled_schema_files
from support import SHARED_SCHEMAS

SHARED = SHARED_SCHEMAS

RESULT = CheckResult(
    files=("models/a/model.yaml", "models/b/model.yaml"),
    diagnostics=(
        Diagnostic(
            "S003",
            Severity.ERROR,
            "unknown property 'riskTeir'",
            Location("models/a/model.yaml", 12, 3, "/metadata/riskTeir"),
            "did you mean 'riskTier'?",
        ),
        Diagnostic("Y009", Severity.ERROR, "file is empty", Location("models/b/model.yaml")),
        Diagnostic(
            "FL-04",
            Severity.WARNING,
            "feature 'zip_code' is on the proxy list",
            Location("models/a/model.yaml", 40, 9, "/data/features/3/name"),
            rule=RuleInfo("FL-04", "Proxy features need sign-off", ("ECOA", "Reg B 1002.6"), "Get compliance sign-off."),
            waiver=WaiverStatus(True, "RISK-1", "reviewed", "2027-01-01", "c@bank.com"),
        ),
        Diagnostic("Y101", Severity.WARNING, "'no' is read as a string, 100% sure, a:b,c", Location("models/a/model.yaml", 50, 5, "/x")),
    ),
    sources={"models/a/model.yaml": b"a: 1\n" * 60},
)


def test_sarif_is_valid_sarif_2_1_0() -> None:
    sarif_schema = json.loads((SHARED / "sarif-schema-2.1.0.json").read_text())
    log = json.loads(REPORTERS["sarif"](RESULT))
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    results = log["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 3}
    assert "region" not in results[1]["locations"][0]["physicalLocation"]
    assert results[2]["suppressions"][0]["status"] == "accepted"
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[results[2]["ruleIndex"]]["properties"]["references"] == ["ECOA", "Reg B 1002.6"]


def test_json_report_matches_its_schema() -> None:
    validator = build_schema_set(bundled_schema_files()).validator("check-report")
    report = json.loads(REPORTERS["json"](RESULT))
    assert list(validator.detailed.iter_errors(report)) == []
    assert report["summary"] == {"files": 2, "errors": 2, "warnings": 1, "notes": 0, "waived": 1, "passed": False}


def test_github_annotations_escape_properties_and_data() -> None:
    lines = REPORTERS["github"](RESULT).splitlines()
    assert (
        lines[0]
        == "::error file=models/a/model.yaml,line=12,col=3,title=S003::unknown property 'riskTeir'%0Ahint: did you mean 'riskTier'?"
    )
    assert lines[1] == "::error file=models/b/model.yaml,title=Y009::file is empty"
    assert lines[2].startswith("::notice file=models/a/model.yaml,line=40,col=9,title=FL-04 Proxy features need sign-off::")
    assert "100%25 sure" in lines[3]


def test_text_plain_and_terminal() -> None:
    plain = REPORTERS["text"](RESULT)
    assert plain.splitlines()[0] == "models/a/model.yaml:12:3: error S003 unknown property 'riskTeir'"
    assert "models/b/model.yaml: error Y009 file is empty" in plain
    assert "waived FL-04" in plain
    assert plain.rstrip().endswith("2 files checked, 2 errors, 1 warning, 1 waived")
    terminal = REPORTERS["text"](RESULT, terminal=True)
    assert "   12 | a: 1" in terminal
    assert "\n" + " " * 10 + "^" in terminal


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_empty_result(name: str) -> None:
    assert REPORTERS[name](CheckResult(("m.yaml",), ()))
