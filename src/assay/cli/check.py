"""`assay check`: validate specs against the schemas and report every problem at its line."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from assay.check import check_files
from assay.cli.errors import UserError
from assay.cli.repository import choose_repository_root, open_repository, select_files
from assay.diagnostics import sort_key
from assay.output import write_atomic
from assay.report import REPORTERS


@dataclass(frozen=True)
class CheckOptions:
    paths: tuple[Path, ...]
    repo: Path | None
    output_format: str
    output: Path | None
    color: bool | None


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
    "--color/--no-color",
    default=None,
    help="Show source lines with carets and colour. Default: on when standard output is a terminal and NO_COLOR is unset.",
)
def check_command(paths: tuple[Path, ...], repo: Path | None, output_format: str, output: Path | None, color: bool | None) -> int:
    """Check model specs against the schemas; report every problem with file, line and column.

    With no PATH, checks every spec the repository's assay.yaml points at (default
    models/*/model.yaml). A PATH may be a spec file, or a folder: its specs, or when
    it has none every *.yaml below it. One bad file never hides another.

    \b
    Exit codes: 0 no errors (warnings allowed), 1 errors found,
    2 usage or input error, 3 internal error.

    \b
    Examples:
      assay check                          every model in the repository
      assay check models/consumer-credit-pd/model.yaml
      assay check --format sarif -o assay.sarif
    """
    return execute_check(CheckOptions(paths, repo, output_format, output, color))


def execute_check(options: CheckOptions, environ: dict[str, str] | None = None) -> int:
    environ = dict(os.environ) if environ is None else environ
    root = choose_repository_root(options.repo, options.paths, Path.cwd())
    tree, config, schemas, config_diagnostics = open_repository(root)
    files = select_files(root, tree, config, options.paths)
    if not files:
        raise UserError(f"no model specs found in {root} (looked for {', '.join(config.models)})")
    result = check_files(tree, files, schemas, config.limits)
    if config_diagnostics:
        merged = sorted((*result.diagnostics, *config_diagnostics), key=sort_key)
        result = dataclasses.replace(result, diagnostics=tuple(merged))
    terminal = (
        options.color if options.color is not None else (options.output is None and sys.stdout.isatty() and "NO_COLOR" not in environ)
    )
    report = REPORTERS[options.output_format](result, terminal=terminal)
    if options.output is not None:
        write_atomic(options.output, report.encode("utf-8"))
    else:
        click.echo(report, nl=False)
    if any(d.blocking for d in config_diagnostics):
        return 2
    return result.exit_code
