"""`assay approve`: a validator signs an approval of one model's current plan digest for one environment."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import click

from assay.cli.errors import UserError
from assay.cli.evidence_support import load_trust, signer_from
from assay.cli.plan_sources import PlannedModel, fail, load_plan_inputs, model_of, plan_models, spec_paths
from assay.cli.repository import choose_repository_root, open_trusted_tree, open_worktree
from assay.evidence import TrustRoot, approval_statement
from assay.evidence.ledger import append_records, chain_lock, commit_paths
from assay.evidence.run_records import PendingRecord


def planned_model(root: Path, name: str) -> PlannedModel:
    """The named model's spec, checked and compiled in the working tree."""
    worktree = open_worktree(root)
    inputs, _ = load_plan_inputs(worktree)
    paths = {model_of(path): path for path in spec_paths(worktree, inputs.config)}
    if name not in paths:
        raise UserError(f"no such model: {name} (models: {', '.join(sorted(paths)) or 'none'})")
    planned, problems = plan_models(worktree, [paths[name]], inputs)
    if problems:
        fail(problems)
        raise UserError(f"{name} does not compile; fix its spec first")
    return planned[0]


def environment_of(model: PlannedModel, name: str) -> dict[str, object]:
    environments = {e["name"]: e for e in model.plan.data["deployment"]["environments"]}
    if name not in environments:
        raise UserError(f"{model.name} has no environment '{name}' (environments: {', '.join(environments) or 'none'})")
    return dict(environments[name])


@click.command("approve")
@click.argument("model")
@click.option("--env", "environment", required=True, help="The environment the approval is for (e.g. production).")
@click.option("--key", metavar="PATH|env:VAR|URI", help="The validator's signing key (default: $ASSAY_SIGNING_KEY).")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option("--trusted-ref", metavar="REF", help="Read the trust root from this git ref.")
@click.option("--commit/--no-commit", default=True, show_default=True, help="Commit the approval record.")
def approve_command(model: str, environment: str, key: str | None, repo: Path | None, trusted_ref: str | None, commit: bool) -> int:
    """Sign an approval of MODEL's current plan digest for one environment.

    The approval names the exact plan digest: any later change to the spec gives a
    new plan and needs a new approval. The key must be a validator (or owner or
    risk-officer) key in keys/trust.yaml; whether the approver is independent of the
    model is judged at promotion.
    """
    root = choose_repository_root(repo, (), Path.cwd())
    planned = planned_model(root, model)
    environment_of(planned, environment)
    trust = load_trust(open_trusted_tree(root, trusted_ref) if trusted_ref else open_worktree(root))
    signer, principal = _approver(key, trust)
    issued = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    statement = approval_statement(
        model=model, plan_digest=planned.plan.digest, environment=environment, approver=principal, issued_at=issued
    )
    with chain_lock(root):
        paths = append_records(root, model, lambda _previous: [PendingRecord(f"approval-{environment}", statement)], signer)
        if commit:
            commit_paths(root, paths, f"approval({model}): {environment} plan {planned.plan.digest[:16]} by {principal}")
    click.echo(f"{model}: {principal} approved plan {planned.plan.digest[:16]}… for {environment} ({paths[-1]})")
    return 0


def _approver(key: str | None, trust: TrustRoot) -> tuple[Any, str]:
    last_error: UserError | None = None
    for role in ("validator", "risk-officer", "owner"):
        try:
            return signer_from(key, trust, role)
        except UserError as error:
            last_error = error
            if "has role" not in str(error):
                raise
    assert last_error is not None
    raise last_error
