"""The commits that changed a model's spec: what changed, whether it was material, and the verdict at the time.

The spec is compiled at each commit and at its first parent, each under the
judges in force at that commit, and the plans are diffed with `plan_changes`: a
change to features, target, estimator, population or data window is material.
"""

from __future__ import annotations

from typing import Any

from assay.audit.judging import JudgesCache, verdict_at
from assay.audit.model import FieldChange, SpecChange
from assay.check import Judges, check_document, model_names
from assay.load import Document, SourceError, parse_document
from assay.load.git_history import CommitInfo, CommitTree, ObjectReader
from assay.plan import CompiledPlan
from assay.plan.diff import plan_changes


def spec_changes(objects: ObjectReader, commits: list[CommitInfo], spec_path: str, model: str, cache: JudgesCache) -> list[SpecChange]:
    """One SpecChange per commit in `commits` that touched `spec_path`, in the same order."""
    found = []
    parsed: dict[str, Document | None] = {}
    for commit in commits:
        if any(change.path == spec_path for change in commit.changes):
            found.append(_spec_change(objects, commit, spec_path, model, cache, parsed))
    return found


def _spec_change(
    objects: ObjectReader, commit: CommitInfo, spec_path: str, model: str, cache: JudgesCache, parsed: dict[str, Document | None]
) -> SpecChange:
    tree = CommitTree(objects, commit.sha)
    head_judges = cache.judges_at(tree)
    head = _document(tree, spec_path, head_judges, parsed)
    base: Document | None = None
    base_plan: CompiledPlan | None = None
    if commit.parents:
        parent = CommitTree(objects, commit.parents[0])
        base_judges = cache.judges_at(parent)
        base = _document(parent, spec_path, base_judges, parsed)
        base_plan = _plan(base, base_judges, cache)
    if head is None:
        status = "invalid" if tree.exists(spec_path) else "removed"
        return SpecChange(commit, spec_path, status, None, None, status == "invalid", (), None)
    head_plan = _plan(head, head_judges, cache)
    verdict = verdict_at(tree, head, head_judges, cache, model_names(tree, head_judges.config), commit.committed)
    version = _version(head)
    if head_plan is None:
        return SpecChange(commit, spec_path, "invalid", version, None, False, (), verdict)
    if base_plan is None:
        return SpecChange(commit, spec_path, "added", version, head_plan.digest, True, (), verdict)
    if base_plan.digest == head_plan.digest:
        return SpecChange(commit, spec_path, "unchanged", version, head_plan.digest, False, (), verdict)
    found = plan_changes(*_differing(base_plan.data, head_plan.data), base, head)
    changes = tuple(FieldChange(c.kind, c.spec_pointer or c.path, c.area, c.material, c.before, c.after) for c in found)
    return SpecChange(commit, spec_path, "changed", version, head_plan.digest, any(c.material for c in changes), changes, verdict)


def _differing(base: Any, head: Any) -> tuple[Any, Any]:
    """Both plans without the mapping keys whose values are equal: the same differences at the same paths, found far faster."""
    if not isinstance(base, dict) or not isinstance(head, dict):
        return base, head
    kept_base, kept_head = {}, {}
    for key in base.keys() | head.keys():
        if key in base and key in head:
            if base[key] != head[key]:
                kept_base[key], kept_head[key] = _differing(base[key], head[key])
        elif key in base:
            kept_base[key] = base[key]
        else:
            kept_head[key] = head[key]
    return kept_base, kept_head


def _document(tree: CommitTree, path: str, judges: Judges, parsed: dict[str, Document | None]) -> Document | None:
    """The spec at a commit, parsed once per blob (a commit's parent usually holds the previous commit's spec)."""
    blob = tree.blob_id(path)
    if blob is None:
        return None
    if blob not in parsed:
        try:
            parsed[blob] = parse_document(tree.read(path, judges.config.limits), judges.config.limits)[0]
        except SourceError:
            parsed[blob] = None
    return parsed[blob]


def _plan(document: Document | None, judges: Judges, cache: JudgesCache) -> CompiledPlan | None:
    if document is None or any(d.blocking for d in check_document(document, judges.schemas)):
        return None
    return cache.plan(document, judges)


def _version(document: Document) -> str | None:
    metadata = document.data.get("metadata") if isinstance(document.data, dict) else None
    version = metadata.get("version") if isinstance(metadata, dict) else None
    return version if isinstance(version, str) else None
