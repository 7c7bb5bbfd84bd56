"""`assay allowed-signers`: git's allowed-signers file from the trust root, for `git verify-commit`."""

from __future__ import annotations

from pathlib import Path

import click

from assay.cli.evidence_support import load_trust
from assay.cli.repository import choose_repository_root, open_trusted_tree, open_worktree
from assay.evidence.ssh import allowed_signers
from assay.output import write_atomic


@click.command("allowed-signers")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option("--trusted-ref", metavar="REF", help="Read the trust root from this git ref (e.g. origin/main).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the file here instead of standard output.")
def allowed_signers_command(repo: Path | None, trusted_ref: str | None, output: Path | None) -> int:
    """Write git's allowed-signers file from keys/trust.yaml (unrevoked keys, within their validity).

    \b
    Then check evidence commits with git alone:
      assay allowed-signers --trusted-ref origin/main -o allowed_signers
      git -c gpg.ssh.allowedSignersFile=allowed_signers verify-commit HEAD
    """
    root = choose_repository_root(repo, (), Path.cwd())
    trust = load_trust(open_trusted_tree(root, trusted_ref) if trusted_ref else open_worktree(root))
    text = allowed_signers(trust.keys)
    if output is not None:
        write_atomic(output, text.encode())
    else:
        click.echo(text, nl=False)
    return 0
