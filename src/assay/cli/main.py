"""The `assay` command: the group of subcommands and the one place errors become exit codes.

Exit codes: 0 ok, 1 findings (an unwaived error, a failed gate or verification),
2 usage or input error, 3 internal error (a crash log is written and its path printed).
"""

from __future__ import annotations

import datetime
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence

import click

from assay import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

# Each command's module is imported only when that command runs, so `assay check`
# never pays for the runner's, the audit's or the differ's imports.
COMMANDS = {
    "init": "assay.cli.init:init_command",
    "check": "assay.cli.check:check_command",
    "plan": "assay.cli.plan:plan_command",
    "policy": "assay.cli.policy:policy_group",
    "run": "assay.cli.run:run_command",
    "verify": "assay.cli.verify:verify_command",
    "approve": "assay.cli.approve:approve_command",
    "promote": "assay.cli.promote:promote_command",
    "audit": "assay.cli.audit:audit_command",
    "inventory": "assay.cli.inventory:inventory_command",
    "monitor": "assay.cli.monitor:monitor_command",
    "keygen": "assay.cli.keygen:keygen_command",
    "allowed-signers": "assay.cli.allowed_signers:allowed_signers_command",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="assay")
def cli() -> None:
    """assay: a GitOps compiler for machine-learning models under model-risk and fair-lending rules.

    A model is a YAML spec in git (models/<name>/model.yaml). assay checks specs
    against JSON Schemas and policy-as-code, compiles them into training and
    deployment plans, runs them, and signs the evidence.

    \b
    The flow: assay check -> assay plan -> assay run --commit -> assay verify
              -> assay approve -> assay promote; assay audit and assay monitor after.

    Exit codes: 0 ok, 1 findings, 2 usage or input error, 3 internal error.
    """


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
