"""`assay plan`: compile specs into plans and manifests, check committed outputs, diff against a base ref."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from assay.cli.errors import UserError
from assay.cli.plan_sources import PlannedModel, fail, load_plan_inputs, model_of, plan_models, spec_paths
from assay.cli.repository import choose_repository_root, open_worktree
from assay.output import write_atomic
from assay.plan.report import render_plans_json, render_plans_markdown, render_plans_text
from assay.targets import render_targets

PLAN_RENDERERS: dict[str, Callable[..., str]] = {"text": render_plans_text, "json": render_plans_json, "markdown": render_plans_markdown}


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
    inputs, config_problems = load_plan_inputs(worktree)
    if any(d.blocking for d in config_problems):
        fail(config_problems)
        return 2
    if options.base is not None:
        from assay.cli.plan_diff import execute_diff  # deepdiff only when diffing

        return execute_diff(root, worktree, inputs, options)
    paths = _selected(spec_paths(worktree, inputs.config), options.models)
    planned, problems = plan_models(worktree, paths, inputs)
    if problems:
        fail(problems)
        return 1
    if options.check:
        return _check_outputs(planned, root / (options.out or Path("plans")))
    if options.out is not None:
        for model in planned:
            for name, content in rendered_files(model).items():
                write_atomic(root / options.out / model.name / name, content)
    emit(PLAN_RENDERERS[options.output_format]([m.plan for m in planned]), options.output)
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
    """plan.json (pretty, sorted keys), its digest, and the target manifests."""
    files = {"plan.json": (json.dumps(model.plan.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()}
    files["plan.digest"] = (model.plan.digest + "\n").encode()
    for name, text in render_targets(model.plan.data, model.plan.digest).items():
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


def emit(text: str, output: Path | None) -> None:
    if output is not None:
        write_atomic(output, text.encode("utf-8"))
    else:
        click.echo(text, nl=False)
