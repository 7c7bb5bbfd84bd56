"""`assay keygen`: a new Ed25519 signing key for a runner or a validator; the private key stays outside the repository."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import click
import yaml

from assay.cli.errors import UserError
from assay.cli.evidence_support import default_key_folder
from assay.cli.repository import find_repository_root
from assay.evidence import ROLES, TRUST_ROOT_PATH, generate_keypair, write_private_key
from assay.evidence.errors import EvidenceError
from assay.evidence.ssh import openssh_private_key
from assay.output import write_atomic


@click.command("keygen")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="What the key signs: runner (training evidence), validator (approvals), owner, risk-officer.",
)
@click.option("--principal", required=True, metavar="EMAIL", help="The person or bot the key belongs to; approvals are judged by it.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key (PEM, mode 0600); never inside the repository. Default: ~/.config/assay/keys/.",
)
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True, help="Validity from now.")
@click.option(
    "--add-to-trust", is_flag=True, help=f"Also append the public entry to {TRUST_ROOT_PATH} (commit it through a reviewed pull request)."
)
def keygen_command(role: str, principal: str, out: Path | None, days: int, add_to_trust: bool) -> int:
    """Generate a signing key and print its trust-root entry.

    The private key is written outside the repository; the public entry printed
    (keyid, public key, role, principal, validity) goes into keys/trust.yaml, which
    assay reads from the trusted ref, so a new key counts only once a reviewed pull
    request has merged it.

    \b
    Use the key with --key PATH (or ASSAY_SIGNING_KEY=PATH, or env:VAR holding the PEM,
    or a KMS/HSM signer URI) on assay run --commit and assay approve.
    """
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    try:
        key = generate_keypair(role, principal, not_before=now, not_after=now + datetime.timedelta(days=days))
        target = out or default_key_folder() / f"{principal}-{role}.pem"  # one file per principal and role
        root = find_repository_root(Path.cwd())
        written = write_private_key(target, key.private_pem, repo_root=root)
        ssh_key = write_private_key(target.with_suffix(".ssh"), openssh_private_key(key.private_pem), repo_root=root)
    except (EvidenceError, ValueError) as error:
        raise UserError(str(error)) from error
    click.echo(f"private key written to {written} (keep it secret; it never enters the repository)", err=True)
    click.echo(
        f"the same key for signing git commits: {ssh_key} (git config gpg.format ssh; git config user.signingkey {ssh_key})", err=True
    )
    entry = yaml.safe_dump([key.trust_entry], sort_keys=False)
    if add_to_trust:
        _append(root or Path.cwd(), key.trust_entry)
        click.echo(f"added to {TRUST_ROOT_PATH}; it takes effect once merged into the trusted branch", err=True)
    click.echo(entry, nl=False)
    return 0


def _append(root: Path, entry: dict[str, object]) -> None:
    path = root / TRUST_ROOT_PATH
    data: dict[str, Any] = (
        yaml.safe_load(path.read_text()) if path.is_file() else {"apiVersion": "assay/v1", "kind": "TrustRoot", "keys": []}
    )
    keys: list[Any] = data.setdefault("keys", [])
    keys.append(entry)
    header = "# Public keys assay trusts, read from the trusted ref. Private keys never enter the repository.\n"
    write_atomic(path, (header + yaml.safe_dump(data, sort_keys=False)).encode())
