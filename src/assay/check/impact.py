"""Impact of a policy change: which models' verdicts the proposed policies would change.

When a pull request edits policies/, the trusted policies judge it; this report
shows reviewers what the proposed policies would do to every model if merged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assay.check.run import judge_model
from assay.load import Document
from assay.policy import EvaluationContext, PolicySet


@dataclass(frozen=True)
class VerdictChange:
    """One model whose blocking findings differ between the trusted and the proposed policies."""

    model: str
    path: str
    before: str
    after: str
    newly_denied_by: tuple[str, ...]
    no_longer_denied_by: tuple[str, ...]

    @property
    def summary(self) -> str:
        if self.before != self.after:
            return "newly denied" if self.after == "deny" else "newly passing"
        return "denied by other rules"


def _blocking_rules(document: Document, policies: PolicySet, context: EvaluationContext) -> set[str]:
    findings, _ = judge_model(document, policies, context)
    return {d.code for d in findings if d.blocking}


def policy_impact(
    models: Iterable[Document], trusted: PolicySet, proposed: PolicySet, context: EvaluationContext
) -> tuple[VerdictChange, ...]:
    """Models whose set of blocking rules changes from `trusted` to `proposed`, sorted by path."""
    changes = []
    for document in sorted(models, key=lambda d: d.path):
        before = _blocking_rules(document, trusted, context)
        after = _blocking_rules(document, proposed, context)
        if before == after:
            continue
        changes.append(
            VerdictChange(
                model=document.data["metadata"]["name"],
                path=document.path,
                before="deny" if before else "pass",
                after="deny" if after else "pass",
                newly_denied_by=tuple(sorted(after - before)),
                no_longer_denied_by=tuple(sorted(before - after)),
            )
        )
    return tuple(changes)
