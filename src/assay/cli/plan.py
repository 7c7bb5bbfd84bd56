"""`assay plan`: compile specs into plans and manifests, check committed outputs, diff against a base ref."""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from assay.check import CheckResult, Judges
from assay.cli.errors import UserError
from assay.cli.plan_sources import PlannedModel, changed_paths, model_of, plan_models, spec_paths
from assay.cli.repository import choose_repository_root, load_judges, open_trusted_tree, open_worktree
from assay.diagnostics import Diagnostic, sort_key
from assay.load.tree import FileTree
from assay.output import write_atomic
from assay.plan.diff import ModelDiff, diff_plans, plan_changes
from assay.plan.report import (
    render_diff_json,
    render_diff_markdown,
    render_diff_text,
    render_plans_json,
    render_plans_markdown,
    render_plans_text,
)
from assay.report import REPORTERS

PLAN_RENDERERS: dict[str, Callable[..., str]] = {"text": render_plans_text, "json": render_plans_json, "markdown": render_plans_markdown}
DIFF_RENDERERS: dict[str, Callable[..., str]] = {"text": render_diff_text, "json": render_diff_json, "markdown": render_diff_markdown}


@dataclass(frozen=True)
class PlanOptions:
    models: tuple[str, ...]
    repo: Path | None
    out: Path | None
    output_format: str
    check: bool
    base: str | None
    output: Path | None


@click.command("plan")
@click.argument("models", nargs=-1)
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Write each model's plan.json and manifests under DIR/<model>/."
)
@click.option(
    "--format", "output_format", type=click.Choice(sorted(PLAN_RENDERERS)), default="text", show_default=True, help="Report format."
)
@click.option(
    "--check", is_flag=True, help="Do not write: exit 1 when the files under --out (default: plans) differ from what the specs compile to."
)
@click.option(
    "--base", metavar="REF", help="Compile each changed model at REF (from git objects) and in the working tree, and report the difference."
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to this file instead of standard output."
)
def plan_command(
    models: tuple[str, ...], repo: Path | None, out: Path | None, output_format: str, check: bool, base: str | None, output: Path | None
) -> int:
    """Compile model specs into plans: what will be trained and deployed, pinned by digest.

    A plan pins every input (the spec's git blob and sha256, data digests, the
    policy digest, assay's version) and is serialised as RFC 8785 canonical JSON;
    its digest is the sha256 of those bytes. MODEL names a model (its folder under
    models/); with none, every model is compiled.

    \b
    --base REF shows what a change does, plan against plan: for every model whose
    spec differs from REF, each added, removed or changed value with its file and
    line, classified material (features, target, estimator, population, data) or
    not; --format markdown gives a pull-request comment.

    \b
    Exit codes: 0 ok, 1 a spec does not compile or --check found a difference,
    2 usage or input error.

    \b
    Examples:
      assay plan                                  summary of every model's plan
      assay plan consumer-credit-pd --out plans   write plans and manifests
      assay plan --check --out plans              fail when committed outputs are stale
      assay plan --base origin/main --format markdown -o plan-diff.md
    """
    return execute_plan(PlanOptions(models, repo, out, output_format, check, base, output))


def execute_plan(options: PlanOptions) -> int:
    root = choose_repository_root(options.repo, (), Path.cwd())
    worktree = open_worktree(root)
    judges, config_problems, _ = load_judges(worktree)
    if any(d.blocking for d in config_problems):
        _fail(config_problems)
        return 2
    if options.base is not None:
        return _execute_diff(root, worktree, judges, options)
    paths = _selected(spec_paths(worktree, judges), options.models)
    planned, problems = plan_models(worktree, paths, judges)
    if problems:
        _fail(problems)
        return 1
    if options.check:
        return _check_outputs(planned, root / (options.out or Path("plans")))
    if options.out is not None:
        for model in planned:
            for name, content in rendered_files(model).items():
                write_atomic(root / options.out / model.name / name, content)
    _emit(PLAN_RENDERERS[options.output_format]([m.plan for m in planned]), options.output)
    return 0


def _selected(paths: list[str], names: tuple[str, ...]) -> list[str]:
    if not names:
        return paths
    known = {model_of(path): path for path in paths}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UserError(f"no such model: {', '.join(unknown)} (models: {', '.join(sorted(known)) or 'none'})")
    return [known[name] for name in names]


def rendered_files(model: PlannedModel) -> dict[str, bytes]:
    """plan.json (pretty, sorted keys) and, where assay.targets is present, the target manifests."""
    files = {"plan.json": (json.dumps(model.plan.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()}
    files["plan.digest"] = (model.plan.digest + "\n").encode()
    try:
        targets = importlib.import_module("assay.targets")
    except ImportError:  # pragma: no cover - until the targets package lands
        return files
    for name, text in targets.render_targets(model.plan.data, model.plan.digest).items():
        files[name] = text.encode()
    return files


def _check_outputs(planned: Sequence[PlannedModel], out: Path) -> int:
    stale = []
    for model in planned:
        for name, content in rendered_files(model).items():
            path = out / model.name / name
            if not path.is_file() or path.read_bytes() != content:
                stale.append(path)
    for path in stale:
        click.echo(f"{path}: differs from what the spec compiles to (run assay plan --out {out})", err=True)
    click.echo(f"{len(planned)} model(s) checked, {len(stale)} stale file(s)")
    return 1 if stale else 0


def _execute_diff(root: Path, worktree: FileTree, head_judges: Judges, options: PlanOptions) -> int:
    assert options.base is not None
    base_tree = open_trusted_tree(root, options.base)
    base_judges, _, _ = load_judges(base_tree)
    base_paths, head_paths = spec_paths(base_tree, base_judges), spec_paths(worktree, head_judges)
    candidates = (set(base_paths) ^ set(head_paths)) | changed_paths(root, base_tree.commit, set(base_paths) | set(head_paths))
    if options.models:
        candidates = {path for path in candidates if model_of(path) in options.models}
    base_planned, _ = plan_models(base_tree, sorted(candidates & set(base_paths)), base_judges)
    head_planned, problems = plan_models(worktree, sorted(candidates & set(head_paths)), head_judges)
    if problems:
        _fail(problems)
        return 1
    diffs = _pair(base_planned, head_planned)
    notes = []
    if base_judges.policies.digest != head_judges.policies.digest:
        notes.append("policies differ from the base: every model's plan pins the new policy digest")
    _emit(DIFF_RENDERERS[options.output_format](diffs, options.base, notes), options.output)
    return 0


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


def _emit(text: str, output: Path | None) -> None:
    if output is not None:
        write_atomic(output, text.encode("utf-8"))
    else:
        click.echo(text, nl=False)


def _fail(problems: Sequence[Diagnostic]) -> None:
    diagnostics = tuple(sorted(problems, key=sort_key))
    report = REPORTERS["text"](CheckResult(tuple(sorted({d.location.path for d in diagnostics})), diagnostics))
    click.echo(report + "assay plan: fix these problems first (assay check shows them all)", err=True, nl=False)
