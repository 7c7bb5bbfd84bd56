"""`assay policy test`: run every rule's own test cases and report rule coverage.

Like `opa test` or `kyverno test`: each case gives a spec (or the fragment a rule
reads) and the verdict the rule must reach. A rule is covered when it has at least
one passing `pass` case and one passing `fail` case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from assay.diagnostics import Location
from assay.policy.cel_env import CelError
from assay.policy.evaluate import applies, judge
from assay.policy.model import CompiledRule, EvaluationContext

DEFAULT_TODAY = "2026-11-29"


@dataclass(frozen=True)
class CaseResult:
    rule: str
    name: str
    expect: str
    passed: bool
    detail: str
    location: Location


@dataclass(frozen=True)
class PolicyTestReport:
    cases: tuple[CaseResult, ...]
    uncovered: tuple[tuple[str, str], ...]

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(case for case in self.cases if not case.passed)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.uncovered


def run_case(rule: CompiledRule, case: Mapping[str, Any], location: Location) -> CaseResult:
    """Judge one case with the rule's defaults (plus the case's own params): banks' overrides do not move tests."""
    context = EvaluationContext(case.get("today", DEFAULT_TODAY), tuple(case.get("models", ())))
    params = {**rule.defaults, **case.get("params", {})}
    spec = case["spec"]
    expect = case["expect"]
    try:
        applied = applies(rule, spec, context, params)
    except CelError as error:
        return CaseResult(rule.id, case["name"], expect, False, f"match.when failed: {error}", location)
    facts = {"evidence": case["evidence"], "planDigest": case.get("planDigest", "")} if "evidence" in case else None
    verdicts = judge([rule], spec, context, {rule.id: params}, case.get("plan"), facts) if applied else []
    broken = [v.message for v in verdicts if v.severity == "error"]
    if broken:
        return CaseResult(rule.id, case["name"], expect, False, broken[0], location)
    detail = _mismatch(expect, applied, verdicts, case)
    return CaseResult(rule.id, case["name"], expect, not detail, detail, location)


def _mismatch(expect: str, applied: bool, verdicts: list[Any], case: Mapping[str, Any]) -> str:
    if expect == "skip":
        return "" if not applied else "the rule applies, expected it not to"
    if not applied:
        return "the rule does not apply to this spec (match or when)"
    if expect == "pass":
        return "" if not verdicts else f"expected no finding, got: {verdicts[0].message}"
    if not verdicts:
        return "expected a finding, got none"
    for key, actual in (("messages", [v.message for v in verdicts]), ("pointers", [v.pointer for v in verdicts])):
        if key in case and list(case[key]) != actual:
            return f"expected {key} {case[key]!r}, got {actual!r}"
    if "severity" in case and any(v.severity != case["severity"] for v in verdicts):
        return f"expected severity {case['severity']}, got {verdicts[0].severity}"
    return ""


def run_policy_tests(rules: Iterable[CompiledRule]) -> PolicyTestReport:
    results: list[CaseResult] = []
    uncovered: list[tuple[str, str]] = []
    for rule in rules:
        mine = [run_case(rule, case, location) for case, location in zip(rule.tests, rule.test_locations, strict=True)]
        results.extend(mine)
        for kind in ("pass", "fail"):
            if not any(c.passed and c.expect == kind for c in mine):
                uncovered.append((rule.id, kind))
    return PolicyTestReport(tuple(results), tuple(uncovered))
