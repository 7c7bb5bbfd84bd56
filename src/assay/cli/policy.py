"""`assay policy test`: run every rule's own test cases and report rule coverage."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assay.check import CheckResult
from assay.cli.repository import choose_repository_root, load_judges, open_worktree
from assay.policy.testing import PolicyTestReport, run_policy_tests
from assay.report import REPORTERS


@click.group("policy")
def policy_group() -> None:
    """Work with the policy bundles under policies/."""


@policy_group.command("test")
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root. Default: the nearest folder at or above the current one with assay.yaml or .git.",
)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Report format.")
@click.option("--rule", "only", multiple=True, metavar="ID", help="Test only this rule (repeatable).")
def policy_test_command(repo: Path | None, output_format: str, only: tuple[str, ...]) -> int:
    """Run each rule's test cases and check that every rule has a passing and a failing case.

    Each case names a spec (or the fragment the rule reads) and the verdict the rule
    must reach: pass, fail (optionally with exact messages, pointers and severity)
    or skip. Cases run with the rule's default parameters, not assay.yaml's
    overrides, so a bank's tuning never breaks the library's tests.

    \b
    Exit codes: 0 all cases pass and every rule is covered, 1 otherwise,
    2 usage or input error.
    """
    root = choose_repository_root(repo, (), Path.cwd())
    judges, _, problems = load_judges(open_worktree(root))
    if any(p.blocking for p in problems):
        click.echo(REPORTERS["text"](CheckResult(judges.policies.files, tuple(problems))), nl=False)
        return 1
    rules = [r for r in judges.policies.rules if not only or r.id in only]
    report = run_policy_tests(rules)
    click.echo(_json(report) if output_format == "json" else _text(report, len(rules)), nl=False)
    return 0 if report.ok else 1


def _text(report: PolicyTestReport, rule_count: int) -> str:
    lines = []
    for case in report.failed:
        loc = case.location
        lines.append(f"{loc.path}:{loc.line}:{loc.column}: FAIL {case.rule} '{case.name}' (expect {case.expect}): {case.detail}")
    for rule, kind in report.uncovered:
        lines.append(f"coverage: {rule} has no passing '{kind}' case")
    passed = len(report.cases) - len(report.failed)
    covered = rule_count - len({rule for rule, _ in report.uncovered})
    failed = len(report.failed)
    cases = len(report.cases)
    lines.append(f"{rule_count} rules, {cases} cases: {passed} passed, {failed} failed; {covered}/{rule_count} rules fully covered")
    return "\n".join(lines) + "\n"


def _json(report: PolicyTestReport) -> str:
    data = {
        "cases": [
            {
                "rule": c.rule,
                "name": c.name,
                "expect": c.expect,
                "passed": c.passed,
                "detail": c.detail,
                "file": c.location.path,
                "line": c.location.line,
            }
            for c in report.cases
        ],
        "uncovered": [{"rule": rule, "missing": kind} for rule, kind in report.uncovered],
        "ok": report.ok,
    }
    return json.dumps(data, indent=2) + "\n"
