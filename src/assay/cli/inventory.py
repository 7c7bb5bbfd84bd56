"""`assay inventory`: the model inventory, one row per model, as CSV, JSON or Markdown."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import click

from assay.audit.collect import inventory_rows
from assay.audit.evidence import EvidenceFacts
from assay.audit.inventory import INVENTORY_FORMATS
from assay.check.cache import ResultCache
from assay.check.evidence_facts import UNORDERED_NOTE, RevocationOrder, revoked_keys
from assay.check.run import reads_evidence
from assay.cli.audit import parse_date
from assay.cli.errors import UserError
from assay.cli.repository import choose_repository_root, load_judges, open_trusted_tree, open_worktree
from assay.output import write_atomic


@click.command("inventory")
@click.option(
    "--format", "output_format", type=click.Choice(sorted(INVENTORY_FORMATS)), default="csv", show_default=True, help="Output format."
)
@click.option("--out", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (atomically).")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option("--trusted-ref", metavar="REF", help="Judge open findings with the policies, waivers and trust root of this git ref.")
@click.option("--as-of", callback=parse_date, metavar="YYYY-MM-DD", help="Judge open findings and waiver expiry as of this date.")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Verify every evidence record again instead of reusing what .assay/cache/ remembers of unchanged records.",
)
def inventory_command(
    output_format: str, output: Path | None, repo: Path | None, trusted_ref: str | None, as_of: str | None, no_cache: bool
) -> int:
    """Export the model inventory (SR 26-2): one row per model in the repository.

    Each row: purpose, use, products, risk tier, status, owner, developers,
    validators, last validation date, next review due (the last validation plus the
    tier's review interval from REV-01's reviewDays, else 12/18/24/36 months), open
    findings (unwaived policy errors and warnings today), waivers with their expiry,
    and upstream models.

    Open findings include rules over verified evidence, so every model's record chain
    is verified, a revoked key's records also by where they entered the trusted ref's
    history (HEAD without --trusted-ref; decision 0005, rule 2); what the records say
    is remembered in .assay/cache/ by their bytes, the trust root's and, when a key is
    revoked, that history's commits, so an unchanged chain is not verified twice.
    """
    root = choose_repository_root(repo, (), Path.cwd())
    worktree = open_worktree(root)
    judge_tree = open_trusted_tree(root, trusted_ref) if trusted_ref else worktree
    judges, _, _ = load_judges(judge_tree)
    paths = sorted({path for pattern in judges.config.models for path in worktree.glob(pattern)})
    if not paths:
        raise UserError(f"no model specs found in {root} (looked for {', '.join(judges.config.models)})")
    cache = None if no_cache else ResultCache.open(root, os.environ)
    # Rule 2 of decision 0005 orders records against revocations by the trusted ref's history, as verify does.
    order = RevocationOrder.of(worktree, getattr(judge_tree, "commit", "HEAD"), revoked_keys(judges.trust))
    facts = EvidenceFacts(worktree, judges.trust, cache, order)
    if reads_evidence(judges.policies):
        facts.read_history_once()
    rows = inventory_rows(worktree, judges, paths, as_of or datetime.date.today().isoformat(), facts=facts)
    text = INVENTORY_FORMATS[output_format](rows)
    if output is not None:
        write_atomic(output, text.encode("utf-8"))
    else:
        click.echo(text, nl=False)
    if order.unordered():
        click.echo(UNORDERED_NOTE, err=True)
    return 0
