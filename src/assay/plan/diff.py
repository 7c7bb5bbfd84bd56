"""diff_plans: the plan at a base ref against the plan in the working tree, as typed changes.

deepdiff finds the differences (list items are paired by `name`, so adding a
feature is one addition, not a shift of every later one); each becomes a
PlanChange with the JSON pointer into the spec, the file and line it sits on,
and whether it is material: a change to features, target, estimator (or its
params, preprocessing or search), population, or a data window or source needs
a new validation (SR 11-7 change control). Documentation, owners, labels,
deployment resources and thresholds are shown but are not material.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from assay.diagnostics import Location
from assay.load import Document, pointer_from_path
from assay.plan.model import CompiledPlan

# deepdiff imports numpy, pandas, polars and pydantic when they are installed, to compare their
# values; plans hold only JSON values, and pandas alone costs half a second of `assay plan --base`.
_OPTIONAL_TO_DEEPDIFF = ("numpy", "pandas", "polars", "pydantic", "orjson")


@contextlib.contextmanager
def _without(modules: tuple[str, ...]) -> Iterator[None]:
    """Imports of `modules` fail inside the block (unless already imported: then nothing changes)."""
    blocked = [name for name in modules if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # the documented way to make an import fail
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]


with _without(_OPTIONAL_TO_DEEPDIFF):
    from deepdiff import DeepDiff
    from deepdiff.helper import CannotCompare

MATERIAL_AREAS: tuple[tuple[str, str], ...] = (
    ("/data/features", "features"),
    ("/data/target", "target"),
    ("/training/estimator", "estimator"),
    ("/training/preprocessing", "preprocessing"),
    ("/training/search", "estimator"),
    ("/data/population", "population"),
    ("/metadata/useCase", "population"),
    ("/data/train", "data"),
    ("/data/outOfTime", "data"),
    ("/data/timeColumn", "data"),
)
# Derived or pinned parts of the plan that are reported once, elsewhere, or not at all.
_SKIPPED = ("/inputs/spec", "/inputs/data", "/training/steps")
_REPORTED_ONLY = {"/inputs/policies": "policies", "/inputs/assay": "assay version", "/training/cost": "cost", "/deployment": "cost"}


@dataclass(frozen=True)
class PlanChange:
    """One difference: added, removed or changed, at a plan pointer and (where it has one) a spec pointer."""

    kind: str
    path: str
    spec_pointer: str | None
    before: Any
    after: Any
    material: bool
    area: str
    location: Location | None


@dataclass(frozen=True)
class ModelDiff:
    """What a change does to one model's plan."""

    model: str
    status: str
    base_digest: str | None
    head_digest: str | None
    changes: tuple[PlanChange, ...]
    cost_before: float | None = None
    cost_after: float | None = None
    renamed_from: str | None = None

    @property
    def material(self) -> bool:
        return self.status == "added" or any(change.material for change in self.changes)


def classify(spec_pointer: str | None, plan_pointer: str) -> tuple[bool, str]:
    """(material, area) of a change."""
    if spec_pointer is not None:
        for prefix, area in MATERIAL_AREAS:
            if spec_pointer == prefix or spec_pointer.startswith(prefix + "/"):
                return True, area
        return False, spec_pointer.split("/")[1] if spec_pointer.count("/") else "spec"
    for prefix, area in _REPORTED_ONLY.items():
        if plan_pointer.startswith(prefix):
            return False, area
    return False, plan_pointer.split("/")[1] if plan_pointer.count("/") else "plan"


def _spec_pointer(plan_pointer: str) -> str | None:
    return plan_pointer[len("/spec") :] if plan_pointer.startswith("/spec/") else None


def _reported(plan_pointer: str) -> bool:
    """Derived parts that repeat the spec are not reported twice: only their costs are."""
    if plan_pointer.startswith(_SKIPPED):
        return False
    if plan_pointer.startswith("/deployment"):
        return "/cost" in plan_pointer or plan_pointer == "/deployment/monthlyUsd"
    return True


def _pair_by_name(first: Any, second: Any, level: Any = None) -> bool:
    if isinstance(first, dict) and isinstance(second, dict) and "name" in first and "name" in second:
        return bool(first["name"] == second["name"])
    raise CannotCompare() from None


def _monthly(plan: CompiledPlan | None) -> float | None:
    return None if plan is None else float(plan.data["deployment"].get("monthlyUsd", 0.0))


def _locate(document: Document | None, spec_pointer: str | None) -> Location | None:
    if document is None or spec_pointer is None:
        return None
    line, column = document.source_map.locate(spec_pointer, key=True)
    return Location(document.path, line, column, spec_pointer)


_KINDS = {
    "values_changed": "changed",
    "type_changes": "changed",
    "dictionary_item_added": "added",
    "iterable_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_removed": "removed",
}


def plan_changes(
    base: Mapping[str, Any], head: Mapping[str, Any], base_doc: Document | None, head_doc: Document | None
) -> list[PlanChange]:
    """Every difference between two plans, in a stable order."""
    found = DeepDiff(base, head, view="tree", iterable_compare_func=_pair_by_name, ignore_numeric_type_changes=True)
    changes = []
    for report_type, items in found.items():
        kind = _KINDS.get(report_type)
        if kind is None:
            continue
        for item in items:
            pointer = pointer_from_path(item.path(output_format="list"))
            if not _reported(pointer):
                continue
            spec_pointer = _spec_pointer(pointer)
            material, area = classify(spec_pointer, pointer)
            document = base_doc if kind == "removed" else head_doc
            before = None if kind == "added" else item.t1
            after = None if kind == "removed" else item.t2
            changes.append(PlanChange(kind, pointer, spec_pointer, before, after, material, area, _locate(document, spec_pointer)))
    return sorted(changes, key=lambda c: (not c.material, c.location.line if c.location else 1 << 30, c.path))


def diff_plans(
    model: str, base: CompiledPlan | None, head: CompiledPlan | None, base_doc: Document | None = None, head_doc: Document | None = None
) -> ModelDiff:
    """The ModelDiff of one model between base and head (either may be absent)."""
    if base is None and head is None:
        raise ValueError(f"nothing to diff for {model}")
    if base is None or head is None:
        status = "added" if base is None else "removed"
        base_digest = base.digest if base is not None else None
        head_digest = head.digest if head is not None else None
        return ModelDiff(model, status, base_digest, head_digest, (), _monthly(base), _monthly(head))
    if base.digest == head.digest:
        return ModelDiff(model, "unchanged", base.digest, head.digest, (), _monthly(base), _monthly(head))
    changes = tuple(plan_changes(base.data, head.data, base_doc, head_doc))
    return ModelDiff(model, "changed", base.digest, head.digest, changes, _monthly(base), _monthly(head))
