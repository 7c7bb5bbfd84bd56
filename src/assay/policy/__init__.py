"""Policy-as-code: bundles of CEL rules in, findings at file:line:col out.

`load_policy_set` compiles every bundle and waiver of a tree into a PolicySet;
`judge` evaluates the applicable rules on one spec; `verdicts_to_diagnostics`
places the verdicts in the spec's file; `apply_waivers` marks waived findings.
"""

from assay.policy.evaluate import Verdict, judge, rule_applies, verdicts_to_diagnostics
from assay.policy.load import load_policy_set, policy_files
from assay.policy.model import CompiledRule, EvaluationContext, PolicySet, Waiver
from assay.policy.waivers import apply_waivers, unused_waiver_notes, why_not_applied

__all__ = [
    "CompiledRule",
    "EvaluationContext",
    "PolicySet",
    "Verdict",
    "Waiver",
    "apply_waivers",
    "judge",
    "load_policy_set",
    "policy_files",
    "rule_applies",
    "unused_waiver_notes",
    "verdicts_to_diagnostics",
    "why_not_applied",
]
