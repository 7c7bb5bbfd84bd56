"""Judge one spec with every rule that applies to it; each failure is a finding at its line.

A rule's condition is true when the spec complies. With `forEach`, the condition is
judged per item and each failing item is its own finding, pointing at that item.
A rule that fails while running is a finding too (P003), never a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load import SourceMap
from assay.policy.cel_env import CelError, Context, each_outcome, execute, new_context
from assay.policy.model import CompiledRule, EvaluationContext, Match

_SEVERITY = {"deny": Severity.ERROR, "warn": Severity.WARNING}


@dataclass(frozen=True)
class Verdict:
    """One failing item of one rule, before it is placed in a file."""

    rule: CompiledRule
    message: str
    pointer: str
    severity: str


def rule_applies(match: Match, spec: Mapping[str, Any]) -> bool:
    metadata = spec.get("metadata", {})
    if match.use_cases and metadata.get("useCase") not in match.use_cases:
        return False
    if match.risk_tiers and metadata.get("riskTier") not in match.risk_tiers:
        return False
    if match.statuses and metadata.get("status") not in match.statuses:
        return False
    if match.jurisdictions:
        mine = metadata.get("jurisdictions", [])
        if not any(j == key or j.startswith(key + "-") for key in match.jurisdictions for j in mine):
            return False
    labels = metadata.get("labels", {})
    return all(labels.get(key) == value for key, value in match.labels.items())


def applies(rule: CompiledRule, spec: Mapping[str, Any], context: EvaluationContext, parameters: Mapping[str, Any]) -> bool:
    """Whether `rule` applies to `spec`: its match, then its `when` expression."""
    if not rule_applies(rule.match, spec):
        return False
    if rule.when is None:
        return True
    variables = {"spec": spec, "today": context.today, "models": list(context.models)}
    return execute(rule.when, new_context(variables, frozenset(context.models), {rule.id: parameters})) is True


def _facts(facts: Mapping[str, Any] | None) -> dict[str, Any]:
    """Evidence facts for rules over evidence; without them, no evidence and no plan digest."""
    return dict(facts) if facts else {"evidence": {"approvals": [], "tests": [], "promotions": [], "records": 0}, "planDigest": ""}


def judge(
    rules: Iterable[CompiledRule],
    spec: Mapping[str, Any],
    context: EvaluationContext,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    plan: Mapping[str, Any] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> list[Verdict]:
    """Every failing item of every applicable rule. `params` replaces a rule's parameters by rule id;
    `plan` is the compiled plan, for rules that read it."""
    rules = [rule for rule in rules if rule_applies(rule.match, spec)]
    chosen = {rule.id: params[rule.id] if params is not None and rule.id in params else rule.parameters for rule in rules}
    # One activation per spec, shared by every rule: the binding converts a variable into CEL on
    # its first use in an activation (so models cost nothing unless a rule reads them), once.
    variables = {"spec": spec, "plan": dict(plan or {}), "today": context.today, "models": list(context.models), **_facts(facts)}
    cel_context = new_context({**variables, "item": None, "index": 0}, frozenset(context.models), chosen)
    jurisdictions = tuple(spec.get("metadata", {}).get("jurisdictions", ()))
    verdicts: list[Verdict] = []
    for rule in rules:
        verdicts.extend(_judge_rule(rule, spec, cel_context, chosen[rule.id], context, jurisdictions, _facts(facts)))
    return verdicts


def _judge_rule(
    rule: CompiledRule,
    spec: Mapping[str, Any],
    cel_context: Context,
    parameters: Mapping[str, Any],
    context: EvaluationContext,
    jurisdictions: tuple[str, ...],
    facts: Mapping[str, Any],
) -> Iterator[Verdict]:
    variables = {"spec": spec, "params": parameters, "today": context.today, "models": context.models, **facts}
    severity = rule.severity_for(jurisdictions)
    try:
        if rule.when is not None and execute(rule.when, cel_context) is not True:
            return
        for index, item in _failing_items(rule, cel_context):
            scope = {**variables, "item": item, "index": index}
            yield Verdict(rule, _render(rule.message, scope), rule.pointer.render(**scope).strip(), severity)
    except (CelError, _template_error()) as error:
        yield Verdict(rule, f"rule {rule.id} could not be evaluated: {error}", "", "error")


def _template_error() -> type[Exception]:
    import jinja2  # imported by then: the rules' templates were parsed when the policies were loaded

    return jinja2.TemplateError


def _failing_items(rule: CompiledRule, cel_context: Context) -> Iterator[tuple[int, Any]]:
    """(index, item) of each item whose condition is false; without forEach, (0, None) when it is false."""
    if rule.for_each is None:
        if not _outcome(execute(rule.condition, cel_context)):
            yield 0, None
        return
    each = each_outcome(rule.condition, cel_context)
    if each is not None:  # forEach and condition in one evaluation
        outcomes, item_at = each
        for index, outcome in enumerate(outcomes):
            if not _outcome(outcome):
                yield index, item_at(index)
        return
    # Item by item (an activation each): an item that fails to evaluate comes after the findings before it.
    items = execute(rule.for_each, cel_context)
    if not isinstance(items, list):
        raise CelError(f"forEach gave {type(items).__name__}, not a list")
    for index, item in enumerate(items):
        if not _outcome(execute(rule.condition, cel_context, item, index)):
            yield index, item


def _outcome(outcome: Any) -> bool:
    if not isinstance(outcome, bool):
        raise CelError(f"condition gave {type(outcome).__name__} {outcome!r}, not a boolean")
    return outcome


def _render(template: Any, scope: Mapping[str, Any]) -> str:
    return " ".join(template.render(**scope).split())


def verdicts_to_diagnostics(verdicts: Iterable[Verdict], path: str, source_map: SourceMap) -> list[Diagnostic]:
    """Place verdicts in the spec's file: line and column from the pointer."""
    diagnostics = []
    for verdict in verdicts:
        line, column = source_map.locate(verdict.pointer, key=True)
        if verdict.severity == "error":
            code, severity, rule = "P003", Severity.ERROR, verdict.rule.info
        else:
            code, severity, rule = verdict.rule.id, _SEVERITY[verdict.severity], verdict.rule.info
        diagnostics.append(
            Diagnostic(code, severity, verdict.message, Location(path, line, column, verdict.pointer), verdict.rule.fix, rule=rule)
        )
    return diagnostics
