"""`assay verify`: check every evidence record against nothing but the trusted keys and the bytes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from assay.cli.errors import UserError
from assay.cli.evidence_support import load_trust, plan_checker, trusted_history
from assay.cli.repository import choose_repository_root, open_trusted_tree, open_worktree
from assay.evidence.trust import TRUST_ROOT_PATH
from assay.evidence.verify import STORE, Finding, VerificationReport, evidence_models, verify_model


@click.command("verify")
@click.argument("models", nargs=-1)
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option(
    "--trusted-ref",
    metavar="REF",
    help="Read the trust root (keys/trust.yaml) from this git ref, e.g. origin/main: a branch cannot trust its own keys.",
)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Report format.")
def verify_command(models: tuple[str, ...], repo: Path | None, trusted_ref: str | None, output_format: str) -> int:
    """Verify the signed evidence of MODEL (default: every model with evidence).

    Checks each record's DSSE signature against keys/trust.yaml, the key's role,
    validity window and revocation at the record's signed time, that a record signed
    by a revoked key entered the trusted ref's history (HEAD without --trusted-ref)
    before the revocation did, the chain (each
    record names the path and sha256 of the one before it), every subject re-hashed
    (published reports in evidence/, artifacts from the local store, else noted as
    digest only), the predicate type, and recomputes each training record's plan
    from the spec blob it names. Every failure names the file and the reason.

    \b
    Exit codes: 0 everything verifies, 1 a check failed, 2 usage or input error.
    """
    root = choose_repository_root(repo, (), Path.cwd())
    worktree = open_worktree(root)
    trust = load_trust(open_trusted_tree(root, trusted_ref) if trusted_ref else worktree)
    names = list(models) or evidence_models(worktree)
    if not names:
        raise UserError("no evidence to verify (evidence/<model>/records/ is empty)")
    history, why_not = trusted_history(root, trusted_ref or "HEAD", trust, names)
    reports = {name: verify_model(worktree, name, trust, root / STORE, plan_checker(root), history) for name in names}
    for report in reports.values() if why_not else ():
        report.findings.append(Finding(TRUST_ROOT_PATH, "note", why_not))
    click.echo(_json(reports) if output_format == "json" else _text(reports), nl=False)
    return 1 if any(report.failed for report in reports.values()) else 0


def _text(reports: dict[str, VerificationReport]) -> str:
    lines = []
    for name, report in reports.items():
        for finding in report.findings:
            if finding.status != "ok":
                lines.append(f"{finding.path}: {finding.status}: {finding.message}")
        verdict = "FAILED" if report.failed else "verified"
        lines.append(f"{name}: {verdict} ({len(report.records)} record(s) verified, {len(report.failed)} failure(s))")
    return "\n".join(lines) + "\n"


def _json(reports: dict[str, VerificationReport]) -> str:
    data = {
        name: {
            "verified": not report.failed,
            "records": [r.path for r in report.records],
            "findings": [{"path": f.path, "status": f.status, "message": f.message} for f in report.findings],
        }
        for name, report in reports.items()
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
