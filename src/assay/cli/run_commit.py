"""`assay run --commit`: sign a run's records, append them to the model's chain, commit (and push)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from assay.cli.evidence_support import load_trust, signer_from
from assay.cli.plan_sources import PlannedModel
from assay.evidence.chain import artifacts_folder
from assay.evidence.ledger import append_records, chain_lock, commit_paths, copy_tree_files, push_with_retry
from assay.evidence.run_records import PUBLISHED, run_records
from assay.evidence.statements import RecordRef
from assay.load.tree import WorktreeTree
from assay.run.runner import RunResult


def commit_run(root: Path, model: PlannedModel, result: RunResult, key: str | None, push: bool) -> str:
    """Append the run's signed records to evidence/<model>/, commit them, and push when asked; the commit id."""
    signer, _ = signer_from(key, load_trust(WorktreeTree(root)), "runner")

    def record_and_commit() -> str:
        with chain_lock(root):
            paths = append_records(
                root, model.name, build, signer, copy_tree_files(result.folder, artifacts_folder(model.name, result.plan_digest), PUBLISHED)
            )
            return commit_paths(root, paths, _message(model, result))

    def build(previous: RecordRef | None) -> list:  # type: ignore[type-arg]
        metrics = json.loads((result.folder / "reports/metrics.json").read_text())
        fairness_file = result.folder / "reports/fairness.json"
        fairness = json.loads(fairness_file.read_text()) if fairness_file.is_file() else None
        issued = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        return run_records(
            plan=model.plan.data,
            plan_digest=model.plan.digest,
            outputs=result.outputs,
            metrics=metrics,
            fairness=fairness,
            previous=previous,
            issued_at=issued,
        )

    commit = record_and_commit()
    return push_with_retry(root, record_and_commit) if push else commit


def _message(model: PlannedModel, result: RunResult) -> str:
    verdict = "PASSED" if result.passed else "FAILED"
    spec = model.plan.data["spec"]["metadata"]
    return (
        f"evidence({model.name}): {spec['version']} plan {result.plan_digest[:16]} {verdict}\n\n"
        f"model: {model.name}\nversion: {spec['version']}\nplan: {result.plan_digest}\nverdict: {verdict}\n"
        f"gates: {'passed' if result.gates_passed else 'failed'}\nfairness: {result.fairness or 'not tested'}\n"
    )
