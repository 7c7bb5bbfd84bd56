"""`assay audit`: a model's timeline from git history, with the verification status of every event."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import click

from assay.audit.collect import AuditRequest, NoSuchModel, collect_timeline
from assay.audit.html import Links, timeline_html
from assay.audit.render import FORMATS
from assay.cli.errors import UserError
from assay.cli.evidence_support import load_trust, plan_checker
from assay.cli.repository import choose_repository_root, load_judges, open_trusted_tree, open_worktree
from assay.evidence.trust import TRUST_ROOT_PATH, TrustRoot
from assay.load.git_tree import GitError
from assay.output import write_atomic


def parse_date(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date of the form YYYY-MM-DD", param=param) from None


@dataclass(frozen=True)
class AuditOptions:
    model: str
    repo: Path | None
    since: str | None
    until: str | None
    output_format: str
    output: Path | None
    trusted_ref: str | None
    commit_url: str | None
    as_of: str | None


@click.command("audit")
@click.argument("model")
@click.option("--since", callback=parse_date, metavar="YYYY-MM-DD", help="Only events on or after this date.")
@click.option("--until", callback=parse_date, metavar="YYYY-MM-DD", help="Only events on or before this date.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json", "html"]),
    default="text",
    show_default=True,
    help="text for people, markdown for a pull request or a ticket, json for machines, html for a self-contained report with charts.",
)
@click.option("--out", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to this file (atomically).")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option(
    "--trusted-ref",
    metavar="REF",
    help="Read the trust root (keys/trust.yaml) from this git ref, e.g. origin/main, for record signatures and commit signatures.",
)
@click.option("--commit-url", metavar="URL", help="Link commits to this URL, with {sha} replaced (default: the report's own commit table).")
@click.option("--as-of", callback=parse_date, metavar="YYYY-MM-DD", help="Judge today's open findings and review dates as of this date.")
def audit_command(
    model: str,
    since: str | None,
    until: str | None,
    output_format: str,
    output: Path | None,
    repo: Path | None,
    trusted_ref: str | None,
    commit_url: str | None,
    as_of: str | None,
) -> int:
    """The timeline of MODEL from git history: what changed, who changed it, what it was judged and scored, who approved and deployed it.

    Lists, in the order git recorded them: changes to the spec (commit, author,
    committer, date, signature status checked against keys/trust.yaml, material or
    not with the fields that changed, and the policy verdict recomputed with the
    policies in force at that commit); runs (metrics, gates, fairness); test
    results; approvals; promotions; monitoring results; and commits that changed
    evidence without a signed record. Every record is verified as `assay verify`
    does; each event shows verified, failed (with the reason), unsigned or not
    committed.

    \b
    Exit codes: 0 everything verifies, 1 an event failed verification, 2 usage or input error.

    \b
    Examples:
      assay audit consumer-credit-pd
      assay audit consumer-credit-pd --format html -o audit.html --trusted-ref origin/main
    """
    options = AuditOptions(model, repo, since, until, output_format, output, trusted_ref, commit_url, as_of)
    return execute_audit(options)


def execute_audit(options: AuditOptions) -> int:
    if options.since and options.until and options.since > options.until:
        raise UserError(f"--since {options.since} is after --until {options.until}")
    root = choose_repository_root(options.repo, (), Path.cwd())
    worktree = open_worktree(root)
    trust_tree = open_trusted_tree(root, options.trusted_ref) if options.trusted_ref else worktree
    # Without a trust root nothing signed can verify, but the history of the spec is still worth reading.
    trust = load_trust(trust_tree) if trust_tree.exists(TRUST_ROOT_PATH) else TrustRoot(())
    as_of = options.as_of or datetime.date.today().isoformat()
    request = AuditRequest(root, options.model, as_of, options.since, options.until, options.trusted_ref or "HEAD")
    try:
        trust_bytes = trust_tree.read(TRUST_ROOT_PATH).content if trust_tree.exists(TRUST_ROOT_PATH) else None
        timeline = collect_timeline(request, load=load_judges, trust=trust, plan_check=plan_checker, trust_bytes=trust_bytes)
    except NoSuchModel as error:
        raise UserError(str(error)) from None
    except GitError as error:
        raise UserError(f"git: {error}") from None
    if options.output_format == "html":
        report = timeline_html(timeline, Links.for_output(root, options.output, options.commit_url))
    else:
        report = FORMATS[options.output_format](timeline)
    if options.output is not None:
        write_atomic(options.output, report.encode("utf-8"))
        click.echo(f"{options.model}: audit written to {options.output} ({len(timeline.entries)} event(s))", err=True)
    else:
        click.echo(report, nl=False)
    return 0 if timeline.verified else 1
