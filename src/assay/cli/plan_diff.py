"""`assay plan --base REF`: compile changed models at REF and in the working tree, and diff the plans."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from assay.cli.errors import UserError
from assay.cli.plan import PlanOptions, emit
from assay.cli.plan_sources import PlanInputs, PlannedModel, fail, load_plan_inputs, model_of, plan_models, spec_paths
from assay.cli.repository import open_trusted_tree
from assay.load.git_changes import WorktreeChanges, start_worktree_changes, worktree_spec_paths
from assay.load.git_tree import GitError, GitTree, resolve_commit
from assay.load.tree import FileTree
from assay.plan.diff import ModelDiff, diff_plans, plan_changes
from assay.plan.report import render_diff_json, render_diff_markdown, render_diff_text

DIFF_RENDERERS: dict[str, Callable[..., str]] = {"text": render_diff_text, "json": render_diff_json, "markdown": render_diff_markdown}


def execute_diff(root: Path, worktree: FileTree, head: PlanInputs, options: PlanOptions) -> int:
    assert options.base is not None
    try:
        pending = start_worktree_changes(root, resolve_commit(root, options.base), head.config.models)
    except GitError as error:
        raise UserError(f"--base: {error}") from error
    base_tree = open_trusted_tree(root, options.base)
    base, _ = load_plan_inputs(base_tree)
    base_paths, (head_paths, changed) = spec_paths(base_tree, base.config), _worktree_side(root, worktree, base_tree, head, pending)
    candidates = (set(base_paths) ^ set(head_paths)) | (changed & (set(base_paths) | set(head_paths)))
    if options.models:
        candidates = {path for path in candidates if model_of(path) in options.models}
    base_planned, _ = plan_models(base_tree, sorted(candidates & set(base_paths)), base)
    head_planned, problems = plan_models(worktree, sorted(candidates & set(head_paths)), head)
    if problems:
        fail(problems)
        return 1
    diffs = _pair(base_planned, head_planned)
    notes = []
    if base.policy_digest != head.policy_digest:
        notes.append("policies differ from the base: every model's plan pins the new policy digest")
    emit(DIFF_RENDERERS[options.output_format](diffs, options.base, notes), options.output)
    return 0


def _worktree_side(
    root: Path, worktree: FileTree, base_tree: GitTree, head: PlanInputs, pending: Callable[[], WorktreeChanges]
) -> tuple[list[str], set[str]]:
    """The working tree's spec paths and the paths that changed since the base, from git; when git cannot
    tell (no work tree, say), every spec is found on disk and every one is compared."""
    try:
        changes = pending()
    except GitError:
        paths = spec_paths(worktree, head.config)
        return paths, set(paths)
    return worktree_spec_paths(root, base_tree, head.config.models, changes), set(changes.changed)


def _pair(base: Sequence[PlannedModel], head: Sequence[PlannedModel]) -> list[ModelDiff]:
    before = {m.name: m for m in base}
    after = {m.name: m for m in head}
    diffs = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        diff = diff_plans(
            name,
            old.plan if old else None,
            new.plan if new else None,
            old.document if old else None,
            new.document if new else None,
        )
        if diff.status != "unchanged":
            diffs.append(diff)
    return _renames(diffs, before, after)


def _renames(diffs: list[ModelDiff], before: dict[str, PlannedModel], after: dict[str, PlannedModel]) -> list[ModelDiff]:
    """A removed and an added model that train the same thing are one renamed model."""
    removed = {d.model: d for d in diffs if d.status == "removed"}
    result = []
    for diff in diffs:
        if diff.status != "added":
            result.append(diff)
            continue
        fingerprint = _training_fingerprint(after[diff.model])
        match = next((name for name in removed if _training_fingerprint(before[name]) == fingerprint), None)
        if match is None:
            result.append(diff)
            continue
        del removed[match]
        old, new = before[match], after[diff.model]
        changes = tuple(plan_changes(old.plan.data, new.plan.data, old.document, new.document))
        result.append(
            dataclasses.replace(
                diff,
                status="renamed",
                renamed_from=match,
                base_digest=old.plan.digest,
                changes=changes,
                cost_before=diff_plans(match, old.plan, None).cost_before,
            )
        )
    return [d for d in result if d.status != "removed" or d.model in removed]


def _training_fingerprint(model: PlannedModel) -> str:
    spec = model.plan.data["spec"]
    return json.dumps([spec["data"]["features"], spec["data"]["target"], spec["training"]], sort_keys=True)
