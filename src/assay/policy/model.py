"""Policy values: a compiled rule, the set of rules that judges a repository, and what a rule is given."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assay.diagnostics import Location, RuleInfo

SEVERITY_RANK = {"warn": 1, "deny": 2}


@dataclass(frozen=True)
class Match:
    """Declarative applicability: every listed condition must hold."""

    use_cases: tuple[str, ...] = ()
    risk_tiers: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledRule:
    """A rule whose CEL expressions and templates compiled; ready to judge specs."""

    id: str
    title: str
    description: str
    severity: str
    severity_in: Mapping[str, str]
    references: tuple[str, ...]
    match: Match
    parameters: Mapping[str, Any]
    defaults: Mapping[str, Any]
    when: Any | None
    for_each: Any | None
    condition: Any
    message: Any
    pointer: Any
    fix: str
    tests: tuple[Mapping[str, Any], ...]
    # Where the rule and its tests are: (rule, tests), worked out on first use, since positions mean parsing the
    # policy file again with its source map, and judging a spec never needs them.
    locate: Callable[[], tuple[Location, tuple[Location, ...]]] = field(repr=False, compare=False)
    variables: frozenset[str] = frozenset({"spec", "plan", "models", "params", "today"})  # read by its expressions or templates

    @functools.cached_property
    def _locations(self) -> tuple[Location, tuple[Location, ...]]:
        return self.locate()

    @property
    def location(self) -> Location:
        return self._locations[0]

    @property
    def test_locations(self) -> tuple[Location, ...]:
        return self._locations[1]

    @property
    def reads_plan(self) -> bool:
        return "plan" in self.variables

    @property
    def info(self) -> RuleInfo:
        help_text = self.description + (f"\n\nHow to fix: {self.fix}" if self.fix else "")
        return RuleInfo(self.id, self.title, self.references, help_text)

    def severity_for(self, jurisdictions: tuple[str, ...]) -> str:
        """The strictest severity among the model's jurisdictions named in severityIn, else the default."""
        chosen = self.severity
        for key, severity in self.severity_in.items():
            if any(j == key or j.startswith(key + "-") for j in jurisdictions) and SEVERITY_RANK[severity] > SEVERITY_RANK[chosen]:
                chosen = severity
        return chosen


@dataclass(frozen=True)
class Waiver:
    """A parsed waiver from policies/waivers.yaml, with where it was written."""

    rule: str
    model: str
    pointer: str
    reason: str
    ticket: str
    approver: str
    approved: str
    expires: str
    location: Location
    problem: str = ""


@dataclass(frozen=True)
class PolicySet:
    """Every compiled rule and waiver that judges a repository, and the digest of their sources."""

    rules: tuple[CompiledRule, ...]
    waivers: tuple[Waiver, ...]
    digest: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvaluationContext:
    """What a rule may read besides the spec: today's date and the repository's model names."""

    today: str
    models: tuple[str, ...] = ()
    waiver_horizon_days: int = 180
