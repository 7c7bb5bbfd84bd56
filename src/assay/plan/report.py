"""Plan and plan-diff reports: Markdown for pull-request comments, JSON for machines, text for terminals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assay.plan.model import CompiledPlan

if TYPE_CHECKING:
    from assay.plan.diff import ModelDiff, PlanChange

DIFF_VERSION = "assay.plan-diff/v1"


def _value(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else "—"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cost_delta(diff: ModelDiff) -> str:
    before, after = diff.cost_before or 0.0, diff.cost_after or 0.0
    delta = after - before
    return "±$0" if abs(delta) < 0.005 else f"{'+' if delta > 0 else '−'}${abs(delta):,.2f}/mo"


def _where(change: PlanChange) -> str:
    loc = change.location
    return f"{loc.path}:{loc.line}" if loc else ""


def render_plans_text(plans: Sequence[CompiledPlan]) -> str:
    lines = []
    for plan in plans:
        deployment = plan.data["deployment"]
        steps = " -> ".join(step["name"] for step in plan.data["training"]["steps"])
        lines.append(f"{plan.model} {plan.data['version']}  plan {plan.digest}")
        lines.append(f"  training: {steps} (about ${plan.data['training']['cost']['estimatedUsd']:.4f} a run)")
        for environment in deployment["environments"]:
            lines.append(
                f"  {environment['order']}. {environment['name']}: {environment['strategy']['type']} on {deployment['target']},"
                f" about ${environment['cost']['monthlyUsd']:,.2f}/month"
            )
    return "\n".join(lines) + "\n"


def render_plans_json(plans: Sequence[CompiledPlan]) -> str:
    return json.dumps([{"model": p.model, "digest": p.digest, "plan": p.data} for p in plans], indent=2, sort_keys=True) + "\n"


def render_plans_markdown(plans: Sequence[CompiledPlan]) -> str:
    lines = ["| model | version | plan digest | training steps | monthly serving |", "|---|---|---|---|---|"]
    for plan in plans:
        monthly = plan.data["deployment"].get("monthlyUsd", 0.0)
        steps = len(plan.data["training"]["steps"])
        lines.append(f"| `{plan.model}` | {plan.data['version']} | `{plan.digest[:16]}` | {steps} | ${monthly:,.2f} |")
    return "\n".join(lines) + "\n"


def diff_to_dict(diff: ModelDiff) -> dict[str, Any]:
    return {
        "model": diff.model,
        "status": diff.status,
        "material": diff.material,
        "renamedFrom": diff.renamed_from,
        "baseDigest": diff.base_digest,
        "headDigest": diff.head_digest,
        "monthlyCostBefore": diff.cost_before,
        "monthlyCostAfter": diff.cost_after,
        "changes": [
            {
                "kind": c.kind,
                "area": c.area,
                "material": c.material,
                "planPointer": c.path,
                "specPointer": c.spec_pointer,
                "file": c.location.path if c.location else None,
                "line": c.location.line if c.location else None,
                "before": c.before,
                "after": c.after,
            }
            for c in diff.changes
        ],
    }


def render_diff_json(diffs: Sequence[ModelDiff], base: str, notes: Sequence[str]) -> str:
    report = {"version": DIFF_VERSION, "base": base, "notes": list(notes), "models": [diff_to_dict(d) for d in diffs]}
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def render_diff_text(diffs: Sequence[ModelDiff], base: str, notes: Sequence[str]) -> str:
    lines = [f"plan changes against {base}:" if diffs else f"no plan changes against {base}"]
    lines.extend(f"note: {note}" for note in notes)
    for diff in diffs:
        flag = "MATERIAL" if diff.material else "non-material"
        renamed = f" (renamed from {diff.renamed_from})" if diff.renamed_from else ""
        lines.append(f"{diff.model}: {diff.status}{renamed}, {flag}, cost {_cost_delta(diff)}")
        for change in diff.changes:
            marker = "!" if change.material else " "
            where = f" ({_where(change)})" if change.location else ""
            target = change.spec_pointer or change.path
            lines.append(f"  {marker} {change.kind:<7} {target}{where}: {_value(change.before)} -> {_value(change.after)}")
    return "\n".join(lines) + "\n"


def render_diff_markdown(diffs: Sequence[ModelDiff], base: str, notes: Sequence[str]) -> str:
    lines = [f"### assay plan against `{base}`", ""]
    if not diffs:
        return "\n".join([*lines, "No model's plan changes.", ""])
    material = sum(1 for d in diffs if d.material)
    lines += [f"{len(diffs)} model(s) change; **{material} material** (needs a new validation).", ""]
    lines += [f"> {note}" for note in notes]
    lines += ["| model | change | material | changes | monthly cost | plan |", "|---|---|---|---|---|---|"]
    for diff in diffs:
        digest = (diff.head_digest or diff.base_digest or "")[:12]
        material_cell = "**yes**" if diff.material else "no"
        lines.append(f"| `{diff.model}` | {diff.status} | {material_cell} | {len(diff.changes)} | {_cost_delta(diff)} | `{digest}` |")
    for diff in diffs:
        if not diff.changes:
            continue
        lines += ["", f"<details><summary><code>{diff.model}</code>: {len(diff.changes)} change(s)</summary>", ""]
        lines += ["| | change | area | where | before | after |", "|---|---|---|---|---|---|"]
        for change in diff.changes:
            where = f"`{_where(change)}` `{change.spec_pointer}`" if change.location else f"`{change.path}`"
            mark = "⚠️" if change.material else ""
            before, after = _md(_value(change.before)), _md(_value(change.after))
            lines.append(f"| {mark} | {change.kind} | {change.area} | {where} | {before} | {after} |")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """A value safe inside a Markdown table cell, shown as code."""
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"
