"""The `assay` command: the group of subcommands and the one place errors become exit codes.

Exit codes: 0 ok, 1 findings (an unwaived error, a failed gate or verification),
2 usage or input error, 3 internal error (a crash log is written and its path printed).
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence

import click

from assay import __version__
from assay.cli.allowed_signers import allowed_signers_command
from assay.cli.approve import approve_command
from assay.cli.check import check_command
from assay.cli.keygen import keygen_command
from assay.cli.plan import plan_command
from assay.cli.policy import policy_group
from assay.cli.promote import promote_command
from assay.cli.run import run_command
from assay.cli.verify import verify_command

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="assay")
def cli() -> None:
    """assay: a GitOps compiler for machine-learning models under model-risk and fair-lending rules.

    A model is a YAML spec in git (models/<name>/model.yaml). assay checks specs
    against JSON Schemas and policy-as-code, compiles them into training and
    deployment plans, runs them, and signs the evidence.

    Exit codes: 0 ok, 1 findings, 2 usage or input error, 3 internal error.
    """


cli.add_command(check_command)
cli.add_command(plan_command)
cli.add_command(policy_group)
cli.add_command(run_command)
cli.add_command(keygen_command)
cli.add_command(verify_command)
cli.add_command(approve_command)
cli.add_command(promote_command)
cli.add_command(allowed_signers_command)


def _write_crash_log() -> str:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    handle, path = tempfile.mkstemp(prefix=f"assay-crash-{stamp}-", suffix=".log")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(f"assay {__version__}\nargv: {sys.argv}\n\n")
        stream.write(traceback.format_exc())
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="assay", standalone_mode=False)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE if error.exit_code not in (EXIT_FINDINGS, EXIT_USAGE) else error.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("assay: interrupted", err=True)
        return 130
    except Exception as error:
        path = _write_crash_log()
        click.echo(f"assay: internal error: {type(error).__name__}: {error}", err=True)
        click.echo(f"assay: a crash log with the details is at {path}; please attach it to a bug report", err=True)
        return EXIT_INTERNAL
    return int(result) if isinstance(result, int) else EXIT_OK
