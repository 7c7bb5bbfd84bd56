"""`assay promote`: render deploy/<env>/<model>/ only when verified evidence and independent approvals allow it."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from assay.cli.approve import environment_of, planned_model
from assay.cli.evidence_support import load_trust, plan_checker, signer_from, trusted_history
from assay.cli.promotion_rules import approval_problems, evidence_problems, material_change_authors, spec_people
from assay.cli.repository import choose_repository_root, open_trusted_tree, open_worktree
from assay.evidence import promotion_statement
from assay.evidence.ledger import append_records, chain_lock, commit_paths
from assay.evidence.run_records import PendingRecord
from assay.evidence.verify import STORE, verify_model
from assay.output import write_atomic
from assay.targets import render_targets

DEPLOY_ROOT = "deploy"


@click.command("promote")
@click.argument("model")
@click.option("--env", "environment", required=True, help="The environment to promote to.")
@click.option("--key", metavar="PATH|env:VAR|URI", help="The runner key that signs the promotion record (default: $ASSAY_SIGNING_KEY).")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option("--trusted-ref", metavar="REF", help="Read the trust root from this git ref (e.g. origin/main).")
@click.option("--commit/--no-commit", default=True, show_default=True, help="Commit the manifests and the promotion record.")
def promote_command(model: str, environment: str, key: str | None, repo: Path | None, trusted_ref: str | None, commit: bool) -> int:
    """Promote MODEL's current plan to an environment: verify, check, render deploy/<env>/<model>/.

    Requires, for the exact current plan digest: verified training and test records
    whose gates and fairness tests passed (as the environment requires), and the
    environment's approvals, signed by trusted keys of the required role and held by
    people independent of the model (not its owner or developers, nor an author of a
    material change to its spec in git history). The manifests carry the plan digest;
    promotion.json lists the evidence relied on; a signed promotion record binds them.

    \b
    Exit codes: 0 promoted, 1 refused (the reasons are listed), 2 usage or input error.
    """
    root = choose_repository_root(repo, (), Path.cwd())
    planned = planned_model(root, model)
    env = environment_of(planned, environment)
    worktree = open_worktree(root)
    trust = load_trust(open_trusted_tree(root, trusted_ref) if trusted_ref else worktree)
    history, _ = trusted_history(root, trusted_ref or "HEAD", trust, [model])
    report = verify_model(worktree, model, trust, root / STORE, plan_checker(root), history)
    digest = planned.plan.digest
    problems = [f"{f.path}: {f.message}" for f in report.failed]
    problems += evidence_problems(report.records, digest, list(env.get("evidence", [])))  # type: ignore[call-overload]
    excluded = spec_people(planned.plan.data["spec"])
    for email, commit_id in material_change_authors(root, planned.document.path).items():
        excluded.setdefault(email, f"they authored a material change to the spec (commit {commit_id[:12]})")
    roles = {key_.principal: key_.role for key_ in trust.keys}
    problems += approval_problems(report.records, digest, environment, list(env.get("approvals", [])), roles, excluded)  # type: ignore[call-overload]
    if problems:
        for problem in problems:
            click.echo(f"refused: {problem}", err=True)
        click.echo(f"{model}: not promoted to {environment}", err=True)
        return 1
    signer, _ = signer_from(key, trust, "runner")
    evidence = {r.path: hashlib.sha256((root / r.path).read_bytes()).hexdigest() for r in report.records if r.plan_digest == digest}
    files = _manifests(planned.plan.data, digest, environment, evidence)
    folder = f"{DEPLOY_ROOT}/{environment}/{model}"
    for name, content in files.items():
        write_atomic(root / folder / name, content)
    manifests = {f"{folder}/{name}": hashlib.sha256(content).hexdigest() for name, content in files.items()}
    issued = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    statement = promotion_statement(
        model=model, plan_digest=digest, environment=environment, manifests=manifests, evidence=evidence, issued_at=issued
    )
    with chain_lock(root):
        paths = append_records(root, model, lambda _previous: [PendingRecord(f"promotion-{environment}", statement)], signer)
        if commit:
            commit_paths(root, [*manifests, *paths], f"promote({model}): {environment} plan {digest[:16]}")
    click.echo(f"{model}: promoted plan {digest[:16]}… to {environment} ({folder}/)")
    return 0


def _manifests(plan: Mapping[str, Any], digest: str, environment: str, evidence: dict[str, str]) -> dict[str, bytes]:
    rendered = render_targets(plan, digest)
    chosen = {name: text.encode() for name, text in rendered.items() if f"-{environment}." in name}
    if not chosen:
        # Targets without per-environment serving manifests (Vertex pipelines, local) deploy what they render.
        chosen = {name: text.encode() for name, text in rendered.items()}
    chosen["promotion.json"] = (
        json.dumps({"plan": digest, "environment": environment, "evidence": evidence}, indent=2, sort_keys=True) + "\n"
    ).encode()
    return chosen
