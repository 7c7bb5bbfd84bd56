"""Parameter overrides in assay.yaml: maps (e.g. REV-01's reviewDays by tier) take effect end to end; wrong types are refused
at their line and column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from assay.config.parameters import override_type_problems
from assay.load import SourceFile, parse_document
from support import REPO_ROOT, run_assay_process

MODEL = "consumer-credit-pd"  # tier 1, last validated 2026-03-14
AS_OF = "2026-04-13"  # 30 days later: inside the default tier 1 interval (365 days)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "policies", tmp_path / "policies")
    (tmp_path / "models" / MODEL).mkdir(parents=True)
    shutil.copy(REPO_ROOT / "models" / MODEL / "model.yaml", tmp_path / "models" / MODEL / "model.yaml")
    return tmp_path


def configure(repo: Path, parameters: str) -> None:
    (repo / "assay.yaml").write_text(f"apiVersion: assay/v1\nkind: Config\nparameters:\n{parameters}")


def check(repo: Path) -> tuple[int, list[dict[str, Any]]]:
    done = run_assay_process("check", "--format", "json", "--no-cache", "--as-of", AS_OF, cwd=repo)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)["diagnostics"]


def test_a_map_override_takes_effect_in_check_and_inventory(repo: Path) -> None:
    configure(repo, "  FL-05:\n    minGroupSize: 30\n")
    code, diagnostics = check(repo)
    assert code == 0 and not [d for d in diagnostics if d["code"] in ("REV-01", "S001")], diagnostics
    configure(repo, "  REV-01:\n    reviewDays: {1: 20}\n")  # a YAML integer key: keys are read as strings
    code, diagnostics = check(repo)
    assert code == 0  # REV-01 warns
    (finding,) = [d for d in diagnostics if d["code"] == "REV-01"]
    assert "30 days old, past the tier 1 review interval of 20 days" in finding["message"]
    assert finding["file"] == f"models/{MODEL}/model.yaml" and finding["severity"] == "warning"
    assert not [d for d in diagnostics if d["file"] == "assay.yaml"], diagnostics
    done = run_assay_process("inventory", "--format", "json", "--as-of", AS_OF, cwd=repo)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["models"]
    assert (row["reviewIntervalDays"], row["nextReviewDue"]) == (20, "2026-04-03")


@pytest.mark.parametrize(
    ("override", "column", "message"),
    [
        ("365", 17, "REV-01 parameter reviewDays: expected a map, got a number"),
        ('{"1": "a year"}', 23, "REV-01 parameter reviewDays/1: expected a number, got a string"),
        ("", 16, "got nothing (null)"),  # `reviewDays:` left empty: refused by the schema
    ],
)
def test_a_wrongly_typed_override_is_refused_at_its_line_and_column(repo: Path, override: str, column: int, message: str) -> None:
    configure(repo, f"  REV-01:\n    reviewDays: {override}\n".replace(": \n", ":\n"))
    code, diagnostics = check(repo)
    assert code == 2
    (problem,) = [d for d in diagnostics if d["file"] == "assay.yaml"]
    assert (problem["code"], problem["line"], problem["column"]) == ("S001", 5, column), problem
    assert message in problem["message"]


def _problems(assay_yaml: str, declared: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    document, _ = parse_document(SourceFile("assay.yaml", assay_yaml.encode()))
    assert document is not None
    located = {rule: {name: (default, "policies/p.yaml:1") for name, default in names.items()} for rule, names in declared.items()}
    return [(d.location.pointer, d.message) for d in override_type_problems(document, located)]


def test_items_and_new_keys_take_the_type_of_the_default_items() -> None:
    declared = {"R-01": {"tiers": [1, 2], "limits": {"1": 0.6, "2": 0.5}, "anything": [1, "a"], "empty": []}}
    text = "parameters:\n  R-01:\n    tiers: [1, two]\n    limits: {'5': high}\n    anything: [true]\n    empty: [1, a]\n"
    assert _problems(text, declared) == [
        ("/parameters/R-01/tiers/1", "R-01 parameter tiers/1: expected a number, got a string"),
        ("/parameters/R-01/limits/5", "R-01 parameter limits/5: expected a number, got a string"),
    ]


def test_rules_and_parameters_the_policies_do_not_declare_are_left_to_policy_compilation() -> None:
    text = "parameters:\n  XX-01:\n    n: 1\n  R-01:\n    other: x\n    flag: false\n    ratio: 1\n"
    assert _problems(text, {"R-01": {"flag": True, "ratio": 0.8}}) == []
