"""The model-risk policy library (policies/model-risk.yaml) on the shipped examples, through the real CLI.

Each case takes a full example spec, breaks it minimally so that one rule fires, and
checks the finding's code, severity, line and column; the unbroken example must give
no finding of that rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import REPO_ROOT, run_assay_process, write_repo

AS_OF = "2026-11-29"
PD = "consumer-credit-pd"
FRAUD = "card-fraud-detection"


def example(name: str) -> str:
    return (REPO_ROOT / "models" / name / "model.yaml").read_text()


def check(root: Path, name: str, text: str) -> list[dict[str, Any]]:
    """Diagnostics of `assay check` on a repository holding one model and the repository's policies."""
    files = {f"models/{name}/model.yaml": text}
    files.update({f"policies/{p.name}": p.read_text() for p in sorted((REPO_ROOT / "policies").glob("*.yaml"))})
    write_repo(root, files)
    done = run_assay_process("check", "--format", "json", "--as-of", AS_OF, cwd=root)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return json.loads(done.stdout)["diagnostics"]


def position(text: str, needle: str, after: str = "") -> tuple[int, int]:
    """1-based line and column of the first `needle` after `after`; a leading newline in `needle` is skipped."""
    offset = text.index(needle, text.index(after) if after else 0) + (1 if needle.startswith("\n") else 0)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def swap(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"example no longer contains {old!r}"
        return text.replace(old, new, 1)

    return edit


def sub(pattern: str, replacement: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        changed, count = re.subn(pattern, replacement, text, count=1)
        assert count == 1, f"example no longer matches {pattern!r}"
        return changed

    return edit


def then(*edits: Callable[[str], str]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        for step in edits:
            text = step(text)
        return text

    return edit


IN_PRODUCTION = swap("  status: validation", "  status: production")


def drop(head: str) -> Callable[[str], str]:
    """Remove the line starting with `head` and every line below it indented deeper (or blank)."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        start = next(i for i, line in enumerate(lines) if line.startswith(head))
        indent = len(head) - len(head.lstrip())
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        return "".join(lines[:start] + lines[end:])

    return edit


def both(*edits: Callable[[str], str]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        for step in edits:
            text = step(text)
        return text

    return edit


EXCEPTION = (
    '  validationException:\n    approver: cro@examplebank.com\n    expires: "2026-10-31"\n    limits: Pilot on 5% of authorizations\n'
)

# rule, severity, example, how to break it, where the finding must be (needle, and an anchor it follows)
CASES = [
    ("INV-01", "error", PD, drop("  consumers:"), ("\nmetadata:", "")),
    ("INV-02", "error", PD, drop("  materiality:"), ("\nmetadata:", "")),
    (
        "INV-03",
        "warning",
        PD,
        sub(r"(\n  status: \w+\n)", r"\1  upstreamModels: [bureau-score-v9]\n"),
        ("bureau-score-v9", ""),
    ),
    (
        "VAL-01",
        "error",
        PD,
        sub(r"(\n  validators:\n    - name: [^\n]+\n      email: )\S+", r"\1priya.raman@examplebank.com"),
        ("email: priya.raman", "\n  validators:"),
    ),
    ("VAL-02", "error", FRAUD, IN_PRODUCTION, ("status: production", "")),
    ("VAL-03", "error", FRAUD, then(IN_PRODUCTION, sub(r'  lastValidated: "[0-9-]+"\n', EXCEPTION)), ("expires:", "validationException:")),
    (
        "VAL-05",
        "error",
        PD,
        sub(r'(\n  outOfTime:\n(?:    .*\n)*?    window: \{start: )"[0-9-]+"', r'\1"2023-12-01"'),
        ('start: "2023-12-01"', ""),
    ),
    ("VAL-06", "warning", PD, drop("  benchmark:"), ("\nevaluation:", "")),
    ("DOC-01", "error", PD, drop("  limitations:"), ("\ndocumentation:", "")),
    (
        "CHG-02",
        "error",
        PD,
        sub(r'(\n  outOfTime:\n(?:    .*\n)*?    sha256: )"[0-9a-f]{64}"', r'\1"' + "0" * 64 + '"'),
        ("sha256:", "\n  outOfTime:"),
    ),
    ("MON-01", "error", FRAUD, then(IN_PRODUCTION, drop("monitoring:")), ("\napiVersion:", "")),
    ("REV-01", "warning", PD, sub(r'lastValidated: "[0-9-]+"', 'lastValidated: "2025-06-30"'), ("lastValidated:", "")),
    (
        "PERF-01",
        "error",
        PD,
        sub(r"\{metric: auc, dataset: outOfTime, min: [0-9.]+\}", "{metric: auc, dataset: outOfTime, min: 0.60}"),
        ("min: 0.60}", ""),
    ),
    (
        "STAB-01",
        "error",
        PD,
        sub(r"(score: \{statistic: psi, warn: [0-9.]+, alert: )[0-9.]+", r"\g<1>0.40"),
        ("alert: 0.40", "score: {"),
    ),
    (
        "CECL-01",
        "error",
        PD,
        both(swap("useCase: credit-underwriting", "useCase: cecl-loss-forecasting"), lambda t: t + "cecl: {forecastHorizonMonths: 24}\n"),
        ("\ncecl:", ""),
    ),
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], list[dict[str, Any]]]:
    """Diagnostics of each unbroken example, checked once per module."""
    seen: dict[str, list[dict[str, Any]]] = {}

    def diagnostics(name: str) -> list[dict[str, Any]]:
        if name not in seen:
            seen[name] = check(tmp_path_factory.mktemp(name), name, example(name))
        return seen[name]

    return diagnostics


@pytest.mark.parametrize(("rule", "severity", "name", "breaks", "where"), CASES, ids=[case[0] for case in CASES])
def test_rule_fires_on_broken_example(rule, severity, name, breaks, where, clean, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert not [d for d in clean(name) if d["code"] == rule], f"{rule} fires on the unbroken {name}"
    broken = breaks(example(name))
    diagnostics = check(tmp_path, name, broken)
    found = [d for d in diagnostics if d["code"] == rule]
    assert found, f"{rule} did not fire; got {[(d['code'], d['message']) for d in diagnostics]}"
    line, column = position(broken, *where)
    assert {(d["severity"], d["line"], d["column"]) for d in found} == {(severity, line, column)}, found
    assert all(d["file"] == f"models/{name}/model.yaml" and d["rule"]["id"] == rule for d in found)
    assert not [d for d in diagnostics if d["code"] == "P003"], "a rule could not be evaluated"


def test_every_model_risk_rule_has_a_case() -> None:
    bundle = yaml.safe_load((REPO_ROOT / "policies" / "model-risk.yaml").read_text())
    # DEP-02 judges evidence of promotions, which no spec edit can create (tests/evidence/test_flow.py).
    assert sorted(rule["id"] for rule in bundle["rules"] if rule["id"] != "DEP-02") == sorted(case[0] for case in CASES)


@pytest.mark.parametrize("name", [PD, FRAUD, "aml-alert-scoring", "marketing-propensity"])
def test_examples_raise_no_model_risk_errors(name, clean) -> None:  # type: ignore[no-untyped-def]
    rules = {case[0] for case in CASES}
    assert not [d for d in clean(name) if d["code"] in rules and d["severity"] == "error"]
    assert not [d for d in clean(name) if d["code"] == "P003"]
