"""`assay run`: execute models' training plans with scikit-learn, locally, resumably, reproducibly."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from assay.cli.errors import UserError
from assay.cli.plan_sources import PlannedModel, fail, load_plan_inputs, model_of, plan_models, spec_paths
from assay.cli.repository import choose_repository_root, open_worktree
from assay.plan import canonical_digest

PLAN_DIGEST_VARIABLE = "ASSAY_PLAN_DIGEST"  # set by each task of the compiled Argo Workflow
STEP_NAMES = ("load", "validate-data", "split", "fit", "evaluate", "fairness", "explain", "baseline", "package")


@dataclass(frozen=True)
class RunOptions:
    models: tuple[str, ...]
    repo: Path | None
    plan_file: Path | None
    step: str | None
    inputs: Path | None
    outputs: Path | None
    output_format: str
    quiet: bool
    commit: bool = False
    key: str | None = None
    push: bool = False


@click.command("run")
@click.argument("models", nargs=-1, required=True)
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A saved plan (plan.json from assay plan --out); refused when stale.",
)
@click.option(
    "--step", type=click.Choice(STEP_NAMES), help="Run only this step, reading --in and writing --out (what each Argo task runs)."
)
@click.option("--in", "inputs", type=click.Path(file_okay=False, path_type=Path), help="With --step: the folder holding the step's inputs.")
@click.option("--out", "outputs", type=click.Path(file_okay=False, path_type=Path), help="With --step: the folder the step writes to.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Summary format on standard output.",
)
@click.option("--commit", is_flag=True, help="Sign the run's records (SLSA provenance, test result) and commit them to evidence/<model>/.")
@click.option("--key", metavar="PATH|env:VAR|URI", help="With --commit: the runner's signing key (default: $ASSAY_SIGNING_KEY).")
@click.option("--push", is_flag=True, help="With --commit: push, rebuilding the records on top of the remote when it moved.")
@click.option("--quiet", is_flag=True, help="No progress on standard error (also quiet when standard error is not a terminal).")
def run_command(
    models: tuple[str, ...],
    repo: Path | None,
    plan_file: Path | None,
    step: str | None,
    inputs: Path | None,
    outputs: Path | None,
    output_format: str,
    quiet: bool,
    commit: bool,
    key: str | None,
    push: bool,
) -> int:
    """Train, evaluate, test fairness, explain, baseline and package each MODEL from its plan.

    The plan is recomputed from the spec; with --plan, a saved plan whose digest
    differs is refused as stale. Data is verified against the spec's sha256 before
    anything is fitted; only allowlisted scikit-learn estimators are imported.
    Outputs go to .assay/runs/<plan digest>/ and the content-addressed store
    .assay/store/; a killed run resumes, and the same plan gives the same results.

    \b
    Exit codes: 0 all gates and fairness tests passed, 1 a gate or fairness test
    failed or the run stopped (bad data, refused estimator), 2 usage or input error.
    """
    return execute_run(RunOptions(models, repo, plan_file, step, inputs, outputs, output_format, quiet, commit, key, push))


def execute_run(options: RunOptions) -> int:
    if options.step and (options.inputs is None or options.outputs is None or len(options.models) != 1):
        raise UserError("--step needs exactly one MODEL, --in and --out")
    root = choose_repository_root(options.repo, (), Path.cwd())
    worktree = open_worktree(root)
    inputs, config_problems = load_plan_inputs(worktree)
    paths = {model_of(path): path for path in spec_paths(worktree, inputs.config)}
    unknown = [name for name in options.models if name not in paths]
    if unknown:
        raise UserError(f"no such model: {', '.join(unknown)} (models: {', '.join(sorted(paths)) or 'none'})")
    planned, problems = plan_models(worktree, [paths[name] for name in options.models], inputs)
    if problems or any(d.blocking for d in config_problems):
        fail([*config_problems, *problems])
        return 1
    if options.plan_file is not None:
        _refuse_stale(options.plan_file, planned)
    if options.step:
        _refuse_other_workflow_plan(planned[0])
        return _one_step(root, planned[0], options, inputs.config.data_roots)
    return _all_steps(root, planned, options, inputs.config.data_roots)


def _refuse_stale(plan_file: Path, planned: list[PlannedModel]) -> None:
    try:
        saved = json.loads(plan_file.read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"{plan_file}: not a readable plan ({error})") from error
    digest = canonical_digest(saved)
    current = {model.name: model.plan.digest for model in planned}
    name = saved.get("model") if isinstance(saved, dict) else None
    if name not in current:
        raise UserError(f"{plan_file} is a plan for '{name}', not for {', '.join(current)}")
    if current[name] != digest:
        raise UserError(
            f"{plan_file} is stale: it has digest {digest[:16]}…, the spec now compiles to {current[name][:16]}…; run assay plan again"
        )


def _refuse_other_workflow_plan(model: PlannedModel) -> None:
    """A workflow task names the plan it was compiled from (ASSAY_PLAN_DIGEST); a repository that now plans otherwise is refused."""
    expected = os.environ.get(PLAN_DIGEST_VARIABLE)
    if expected and expected != model.plan.digest:
        raise UserError(
            f"{PLAN_DIGEST_VARIABLE} is {expected[:16]}…, but '{model.name}' now compiles to {model.plan.digest[:16]}…: "
            "the workflow is stale; compile it again with assay plan"
        )


def _all_steps(root: Path, planned: list[PlannedModel], options: RunOptions, data_roots: tuple[str, ...]) -> int:
    from assay.run.runner import run_plan

    show = not options.quiet and sys.stderr.isatty()
    summaries, code = [], 0
    for model in planned:

        def progress(message: str, name: str = model.name) -> None:
            if show:
                click.echo(f"{name}: {message}", err=True)

        try:
            result = run_plan(root, model.plan, data_roots=data_roots, progress=progress)
        except OSError as error:  # the run folder or the store cannot be written: the machine's problem, not a crash
            raise UserError(f"{model.name}: cannot write the run's files ({error}); nothing was marked finished") from error
        summary = result.summary()
        if options.commit and result.failure is None:
            from assay.cli.run_commit import commit_run

            summary["commit"] = commit_run(root, model, result, options.key, options.push)
        summaries.append(summary)
        if not result.passed:
            code = 1
        if options.output_format == "text":
            click.echo(_text(summary))
    if options.output_format == "json":
        click.echo(json.dumps(summaries, indent=2, sort_keys=True))
    return code


def _text(summary: dict[str, object]) -> str:
    if summary["failure"]:
        return f"{summary['model']}: STOPPED at {summary['failure']}"
    verdict = "passed" if summary["passed"] else "FAILED"
    gates = "passed" if summary["gatesPassed"] else "failed"
    fairness = summary["fairness"] or "not tested"
    plan = str(summary["plan"])[:16]
    return f"{summary['model']}: {verdict} (gates {gates}, fairness {fairness}); plan {plan}…, outputs in {summary['folder']}"


def _one_step(root: Path, model: PlannedModel, options: RunOptions, data_roots: tuple[str, ...]) -> int:
    from assay.run.runner import run_single_step
    from assay.run.steps import RunFailed

    assert options.step and options.inputs and options.outputs
    try:
        record = run_single_step(root, model.plan, options.step, options.inputs.resolve(), options.outputs.resolve(), data_roots)
    except RunFailed as error:
        click.echo(f"{model.name}: {options.step}: {error}", err=True)
        return 1
    click.echo(
        json.dumps(record, indent=2, sort_keys=True)
        if options.output_format == "json"
        else f"{model.name}: {options.step} done in {record['seconds']:.2f} s"
    )
    return 0
