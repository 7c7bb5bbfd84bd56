"""`assay monitor`: a production batch against the signed training baseline; the result signed into the chain."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from assay.cli.errors import UserError


@click.command("monitor")
@click.argument("model")
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The production batch (.csv or .parquet), inside the repository or an allowlisted dataRoots folder.",
)
@click.option("--labels", metavar="COLUMN", help="The batch's outcome column: also measure performance (AUC, KS, calibration).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Report format on standard output.",
)
@click.option(
    "--commit",
    is_flag=True,
    help="Publish the report in evidence/<model>/monitoring/<batch sha256>/, sign a monitor record into the chain, commit both.",
)
@click.option("--key", metavar="PATH|env:VAR|URI", help="With --commit: the runner's signing key (default: $ASSAY_SIGNING_KEY).")
@click.option("--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository root (default: found from the current folder).")
@click.option("--trusted-ref", metavar="REF", help="Read the trust root (keys/trust.yaml) from this git ref, e.g. origin/main.")
def monitor_command(
    model: str,
    data: Path,
    labels: str | None,
    output_format: str,
    commit: bool,
    key: str | None,
    repo: Path | None,
    trusted_ref: str | None,
) -> int:
    """Compare a production batch of MODEL with the baseline of its latest verified training run.

    The baseline, metrics and model come from the latest training record of
    MODEL whose evidence verifies (an unverified or changed baseline is refused);
    the model package is loaded from the local store by the sha256 that record
    signs. Measures the score's PSI and each feature's CSI over the baseline's bins,
    the KS statistic and Jensen-Shannon distance, missing values, unseen categories
    and out-of-range values; with --labels, AUC, KS and calibration beside training.
    Judged by the spec's monitoring levels (warn, alert; performance floor).

    \b
    Exit codes: 0 no alert (warnings allowed), 1 an alert, or evidence that does
    not verify, 2 usage or input error (no run, no model in the store, bad batch).
    """
    from assay.cli.evidence_support import load_trust, signer_from
    from assay.cli.monitor_sources import batch_labels, latest_training_run, load_batch, load_model, load_reference
    from assay.cli.repository import choose_repository_root, load_judges, open_trusted_tree, open_worktree
    from assay.monitor import monitoring_report, thresholds_from_spec
    from assay.monitor.render import render_markdown, render_text

    root = choose_repository_root(repo, (), Path.cwd())
    worktree = open_worktree(root)
    trust = load_trust(open_trusted_tree(root, trusted_ref) if trusted_ref else worktree)
    signer = signer_from(key, trust, "runner")[0] if commit else None
    training = latest_training_run(root, worktree, trust, model)
    run = training.run
    pipeline = load_model(root, run)
    judges, _, _ = load_judges(worktree)
    batch_file = load_batch(root, data, judges.config.data_roots, run.spec, pipeline)
    outcomes = batch_labels(batch_file.batch, labels, run.spec) if labels else None
    reference = load_reference(root, training, pipeline)
    report = monitoring_report(run, batch_file.batch, reference, outcomes, thresholds_from_spec(run.spec))
    evidence = _commit(root, report, signer, batch_file.uri) if signer is not None else None
    if output_format == "json":
        click.echo(json.dumps({**report, "evidence": evidence}, indent=2, sort_keys=True))
    else:
        click.echo((render_markdown if output_format == "markdown" else render_text)(report), nl=False)
        if evidence:
            click.echo(f"recorded {evidence['record']} and {evidence['report']} in commit {evidence['commit'][:12]}")
    return 1 if report["verdict"] == "alert" else 0


def report_bytes(report: Mapping[str, Any]) -> bytes:
    """The published form of a report: sorted keys, two-space indent, a final newline."""
    return (json.dumps(report, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


def _commit(root: Path, report: Mapping[str, Any], signer: Any, batch_uri: str) -> dict[str, str]:
    """Publish the report, append its signed record under the chain lock, commit both; what was written."""
    from assay.evidence.ledger import LedgerError, append_records, chain_lock, commit_paths
    from assay.monitor import monitor_record, report_path
    from assay.output import write_atomic

    model = str(report["model"])
    content = report_bytes(report)
    digest = hashlib.sha256(content).hexdigest()
    target = report_path(model, report["batch"]["sha256"])
    with chain_lock(root):
        existing = root / target
        if existing.is_file() and existing.read_bytes() != content:
            raise UserError(
                f"{target} already holds a different report of this batch (judged against another run, or read under another "
                "name); a published report is never rewritten"
            )
        write_atomic(existing, content)
        issued = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        record = monitor_record(report, digest, batch_uri=batch_uri, issued_at=issued)
        try:
            paths = append_records(root, model, lambda _previous: [record], signer)
            commit = commit_paths(root, [target, *paths], _message(report))
        except LedgerError as error:
            raise UserError(f"--commit: {error}") from error
    return {"record": paths[-1], "report": target, "commit": commit}


def _message(report: Mapping[str, Any]) -> str:
    verdict = {"ok": "PASSED", "warn": "WARNED", "alert": "ALERT"}[report["verdict"]]
    batch = report["batch"]
    drifting = ", ".join(entry["name"] for entry in report["drifting"]) or "none"
    return (
        f"evidence({report['model']}): monitor {batch['name']} {verdict}\n\n"
        f"model: {report['model']}\nversion: {report['version']}\nplan: {report['planDigest']}\n"
        f"batch: {batch['name']} sha256 {batch['sha256']}\nverdict: {verdict}\n"
        f"score psi: {report['psi']}\ndrifting: {drifting}\n"
    )
