"""Judge one spec with every rule that applies to it; each failure is a finding at its line.

A rule's condition is true when the spec complies. With `forEach`, the condition is
judged per item and each failing item is its own finding, pointing at that item.
A rule that fails while running is a finding too (P003), never a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load import SourceMap
from assay.policy.cel_env import CelError, execute, new_context
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
    cel_context = new_context(
        {"spec": spec, "today": context.today, "models": list(context.models), "params": dict(parameters)}, frozenset(context.models)
    )
    return execute(rule.when, cel_context) is True


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
    rules = list(rules)
    variables: dict[str, Any] = {"spec": spec, "plan": dict(plan or {}), "today": context.today, **_facts(facts)}
    if any("models" in rule.variables for rule in rules):
        # Converting every model name into CEL costs O(models) per spec: only for rules that ask.
        variables["models"] = list(context.models)
    cel_context = new_context(variables, frozenset(context.models))
    jurisdictions = tuple(spec.get("metadata", {}).get("jurisdictions", ()))
    verdicts: list[Verdict] = []
    for rule in rules:
        parameters = params[rule.id] if params is not None and rule.id in params else rule.parameters
        verdicts.extend(_judge_rule(rule, spec, cel_context, parameters, context, jurisdictions, _facts(facts)))
    return verdicts


def _judge_rule(
    rule: CompiledRule,
    spec: Mapping[str, Any],
    cel_context: Any,
    parameters: Mapping[str, Any],
    context: EvaluationContext,
    jurisdictions: tuple[str, ...],
    facts: Mapping[str, Any],
) -> Iterator[Verdict]:
    if not rule_applies(rule.match, spec):
        return
    cel_context.add_variable("params", dict(parameters))
    variables = {"spec": spec, "params": parameters, "today": context.today, "models": context.models, **facts}
    severity = rule.severity_for(jurisdictions)
    try:
        if rule.when is not None and execute(rule.when, cel_context) is not True:
            return
        items = _items(rule, cel_context)
        for index, item in items:
            # Bound for every item, null included, so nothing leaks from an earlier rule or item.
            cel_context.add_variable("item", item)
            cel_context.add_variable("index", index)
            outcome = execute(rule.condition, cel_context)
            if not isinstance(outcome, bool):
                raise CelError(f"condition gave {type(outcome).__name__} {outcome!r}, not a boolean")
            if not outcome:
                scope = {**variables, "item": item, "index": index}
                yield Verdict(rule, _render(rule.message, scope), rule.pointer.render(**scope).strip(), severity)
    except (CelError, jinja2.TemplateError) as error:
        yield Verdict(rule, f"rule {rule.id} could not be evaluated: {error}", "", "error")


def _items(rule: CompiledRule, cel_context: Any) -> list[tuple[int, Any]]:
    if rule.for_each is None:
        return [(0, None)]
    items = execute(rule.for_each, cel_context)
    if not isinstance(items, list):
        raise CelError(f"forEach gave {type(items).__name__}, not a list")
    return list(enumerate(items))


def _render(template: jinja2.Template, scope: Mapping[str, Any]) -> str:
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
