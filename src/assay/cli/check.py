"""`assay check`: validate specs against the schemas and the policies; report every problem at its line."""

from __future__ import annotations

import dataclasses
import datetime
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from assay.check import CheckResult, Judges, check_document, load_documents, model_names
from assay.check.cache import ResultCache
from assay.check.engine import check_paths
from assay.check.evidence_facts import UNORDERED_NOTE, RevocationOrder
from assay.check.impact import VerdictChange, policy_impact
from assay.check.judging import open_judges
from assay.check.parallel import default_jobs
from assay.check.run import is_model
from assay.cli.errors import UserError
from assay.cli.repository import choose_repository_root, load_judges, open_trusted_tree, open_worktree, select_files
from assay.config import Config
from assay.diagnostics import Diagnostic, sort_key
from assay.load.tree import WorktreeTree
from assay.output import write_atomic
from assay.policy import EvaluationContext
from assay.report import REPORTERS
from assay.schema import bundled_schema_files

DEPLOY_GLOB = "deploy/*/*/*"  # what assay.check.evidence_facts.deploy_findings looks at


@dataclass(frozen=True)
class CheckOptions:
    paths: tuple[Path, ...]
    repo: Path | None
    output_format: str
    output: Path | None
    color: bool | None
    trusted_ref: str | None
    as_of: datetime.date | None
    jobs: int | None = None
    cache: bool = True


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date of the form YYYY-MM-DD") from None


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root. Default: the nearest folder above the first PATH (or the current folder) that holds assay.yaml or .git.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(REPORTERS)),
    default="text",
    show_default=True,
    help="Report format: text for people, json for machines, sarif for code scanning, github for workflow annotations.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file (atomically) instead of standard output.",
)
@click.option(
    "--trusted-ref",
    metavar="REF",
    help=(
        "Judge with the schemas, policies, waivers and assay.yaml of this git ref (e.g. origin/main), read from git"
        " objects; specs come from the working tree, so a pull request cannot weaken the rules it is judged by. When the"
        " working tree changes policies, also report which models' verdicts the change would flip."
    ),
)
@click.option(
    "--as-of", callback=_parse_date, metavar="YYYY-MM-DD", help="Judge waiver expiry and review dates as of this date. Default: today."
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    metavar="N",
    help="Check in N processes (1: in this one). Default: one per CPU, and only this one for a few hundred files or fewer.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help=(
        "Do not read or write the result cache in .assay/cache/ (by default a file whose bytes and judges are"
        " unchanged since an earlier run is not judged again; the output is the same either way)."
    ),
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Show source lines with carets and colour. Default: on when standard output is a terminal and NO_COLOR is unset.",
)
def check_command(
    paths: tuple[Path, ...],
    repo: Path | None,
    output_format: str,
    output: Path | None,
    trusted_ref: str | None,
    as_of: datetime.date | None,
    jobs: int | None,
    no_cache: bool,
    color: bool | None,
) -> int:
    """Check model specs against the schemas and the policies; report every problem with file, line and column.

    With no PATH, checks every spec the repository's assay.yaml points at (default
    models/*/model.yaml). A PATH may be a spec file, or a folder: its specs, or when
    it has none every *.yaml below it. One bad file never hides another. Policy
    findings name their rule and the regulation behind it; waived findings are
    reported as waived.

    \b
    Exit codes: 0 no unwaived errors (warnings allowed), 1 errors found,
    2 usage or input error, 3 internal error.

    \b
    Examples:
      assay check                          every model in the repository
      assay check models/consumer-credit-pd/model.yaml
      assay check --trusted-ref origin/main --format sarif -o assay.sarif
    """
    return execute_check(CheckOptions(paths, repo, output_format, output, color, trusted_ref, as_of, jobs, not no_cache))


def execute_check(options: CheckOptions, environ: dict[str, str] | None = None) -> int:
    environ = dict(os.environ) if environ is None else environ
    root = choose_repository_root(options.repo, options.paths, Path.cwd())
    worktree = open_worktree(root)
    judge_tree = open_trusted_tree(root, options.trusted_ref) if options.trusted_ref else worktree
    cache = ResultCache.open(root, environ) if options.cache else None
    judging = open_judges(judge_tree, load_judges, cache, bundled_schema_files())
    summary = judging.summary
    # select_files reads only the spec patterns of the configuration.
    files = select_files(root, worktree, Config(models=summary.models), options.paths)
    if not files:
        raise UserError(f"no model specs found in {root} (looked for {', '.join(summary.models)})")
    today = (options.as_of or datetime.date.today()).isoformat()
    # With no PATH the files are every configured spec: their folders are the model names.
    names = tuple(sorted({_folder_name(p) for p in files})) if not options.paths else model_names(worktree, Config(models=summary.models))
    context = EvaluationContext(today, names, summary.waiver_horizon_days)
    jobs = options.jobs or default_jobs()
    commit = getattr(judge_tree, "commit", None) if options.trusted_ref else None
    order = RevocationOrder.of(worktree, commit or "HEAD", summary.revoked)  # rule 2 of decision 0005, read once if at all
    result = check_paths(
        worktree,
        files,
        judging,
        context,
        cache=cache,
        jobs=jobs,
        trusted_commit=commit,
        complete=not options.paths,
        stats=worktree.stats,
        order=order,
    )
    deployed: list[Diagnostic] = []
    if not options.paths and worktree.glob(DEPLOY_GLOB):
        from assay.check.evidence_facts import deploy_findings  # the evidence stack, only when deploy/ has files

        deployed = deploy_findings(worktree, judging.judges.trust, order)
    problems = [*summary.config_problems, *summary.policy_problems, *deployed]
    result = _with(result, problems, summary.policy_files if not options.trusted_ref else ())
    if options.trusted_ref:
        result = dataclasses.replace(result, trusted_ref=options.trusted_ref, impact=_impact(worktree, files, judging.judges, context))
    _emit(result, options, environ)
    if order.unordered():
        click.echo(UNORDERED_NOTE, err=True)
    if any(d.blocking for d in summary.config_problems):
        return 2
    return result.exit_code


def _folder_name(path: str) -> str:
    """PurePosixPath(path).parent.name, without building a path object per spec."""
    return path.rpartition("/")[0].rpartition("/")[2]


def _with(result: CheckResult, extra: list[Diagnostic], extra_files: tuple[str, ...]) -> CheckResult:
    if not extra and not extra_files:
        return result
    merged = tuple(sorted((*result.diagnostics, *extra), key=sort_key))
    return dataclasses.replace(result, diagnostics=merged, files=tuple(sorted({*result.files, *extra_files})))


def _impact(worktree: WorktreeTree, files: list[str], judges: Judges, context: EvaluationContext) -> tuple[VerdictChange, ...] | None:
    """When the working tree's policies differ from the trusted ones, the verdicts they would change."""
    proposed, _, _ = load_judges(worktree)
    if proposed.policies.digest == judges.policies.digest:
        return None
    documents, _ = load_documents(worktree, files, judges.config.limits)
    valid = [d for d in documents if is_model(d) and not any(p.blocking for p in check_document(d, judges.schemas))]
    return policy_impact(valid, judges.policies, proposed.policies, context)


def _emit(result: CheckResult, options: CheckOptions, environ: dict[str, str]) -> None:
    terminal = (
        options.color if options.color is not None else (options.output is None and sys.stdout.isatty() and "NO_COLOR" not in environ)
    )
    report = REPORTERS[options.output_format](result, terminal=terminal)
    if options.output is not None:
        write_atomic(options.output, report.encode("utf-8"))
    else:
        click.echo(report, nl=False)
