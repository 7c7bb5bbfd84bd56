"""Errors the command line reports as a user's mistake: a message and exit code 2, no traceback."""

from __future__ import annotations

import click


class UserError(click.ClickException):
    """A mistake of the user's (a missing file, a bad option, a broken configuration)."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"assay: error: {self.format_message()}", err=True)
