"""The audit's edge: read git history and the evidence, then hand typed values to build_timeline.

Git is read by two processes whatever the history's length: one `git log` lists the
commits that touched the model's spec, evidence or deployed manifests (with their
signature status, checked against the trust root's keys), and one `git cat-file
--batch` serves every tree and blob of every commit. Loaders, the trust root and
the plan checker arrive as parameters.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.audit.charts import spec_limits
from assay.audit.evidence import EvidenceFacts, fork_map
from assay.audit.inventory import inventory_row, review_days
from assay.audit.judging import JudgesCache, JudgesLoader, KnownChain, WorktreeBlobs, spec_findings
from assay.audit.model import InventoryRow, Timeline
from assay.audit.records import out_of_band_edits, record_evidence
from assay.audit.timeline import build_timeline
from assay.check import Judges, load_documents, model_names
from assay.check.evidence_facts import evidence_facts
from assay.check.run import plan_of
from assay.diagnostics import Severity
from assay.evidence import TrustRoot
from assay.evidence.chain import EVIDENCE_ROOT, ordered_records, records_folder
from assay.evidence.revocation import TrustedHistory, read_trusted_history
from assay.evidence.ssh import allowed_signers
from assay.evidence.verify import STORE, VerificationReport, verify_model
from assay.load.git_history import ObjectReader, log_commits
from assay.load.git_tree import GitError
from assay.load.tree import FileTree, WorktreeTree
from assay.policy import EvaluationContext

PlanCheckFactory = Callable[[Path, Callable[[str], bytes]], Any]


class NoSuchModel(LookupError):
    """The model has no spec in the working tree."""


@dataclass(frozen=True)
class AuditRequest:
    root: Path
    model: str
    as_of: str
    since: str | None = None
    until: str | None = None
    trusted_ref: str = "HEAD"  # whose first-parent history orders records against key revocations


def spec_path_of(tree: FileTree, judges: Judges, model: str) -> str:
    """The spec of `model` among the configured spec paths (its folder is named after it)."""
    for pattern in judges.config.models:
        for path in tree.glob(pattern):
            if path.rsplit("/", 2)[-2:-1] == [model]:
                return path
    names = model_names(tree, judges.config)
    raise NoSuchModel(f"no such model: {model} (models: {', '.join(names) or 'none'})")


def collect_timeline(
    request: AuditRequest, *, load: JudgesLoader, trust: TrustRoot, plan_check: PlanCheckFactory, trust_bytes: bytes | None = None
) -> Timeline:
    """The timeline of one model: its spec changes, its evidence, and its inventory record as of today.

    `trust_bytes` are the bytes `trust` was read from: commits with the same trust root reuse its verification.
    """
    from assay.audit.specs import spec_changes  # the differ, imported only by the audit

    root, model = request.root, request.model
    worktree = WorktreeTree(root)
    cache = JudgesCache(load)
    judges = cache.judges_at(WorktreeBlobs(worktree))
    spec_path = spec_path_of(worktree, judges, model)
    paths = [spec_path, f"{EVIDENCE_ROOT}/{model}", f":(glob)deploy/*/{model}/**"]
    with tempfile.TemporaryDirectory(prefix="assay-audit-") as scratch, ObjectReader(root) as objects:
        signers = Path(scratch) / "allowed_signers"
        signers.write_text(allowed_signers(trust.keys))
        commits = log_commits(root, paths, allowed_signers=signers)
        history = _history(request, trust)
        report = verify_model(worktree, model, trust, root / STORE, plan_check(root, objects.blob), history)
        cache.known, cache.history = _known(worktree, model, report, trust_bytes), history
        specs = spec_changes(objects, commits, spec_path, model, cache)
        records, unattached = record_evidence(worktree, model, report, commits)
    rows = inventory_rows(worktree, judges, [spec_path], request.as_of, facts=lambda _model: evidence_facts(report.records))
    documents, _ = load_documents(worktree, [spec_path], judges.config.limits)
    limits = spec_limits(documents[0].data) if documents and isinstance(documents[0].data, dict) else {}
    return build_timeline(
        model,
        spec_path,
        request.as_of,
        commits,
        specs,
        records,
        out_of_band_edits(model, commits),
        unattached,
        since=request.since,
        until=request.until,
        inventory=rows[0] if rows else None,
        limits=limits,
    )


def _history(request: AuditRequest, trust: TrustRoot) -> TrustedHistory | None:
    """The trusted ref's order of records and revocations (decision 0005, rule 2), or None outside git."""
    try:
        return read_trusted_history(request.root, request.trusted_ref, trust, [records_folder(request.model)])
    except GitError:
        return None


def _known(tree: FileTree, model: str, report: VerificationReport, trust_bytes: bytes | None) -> KnownChain:
    chain = ordered_records(tree.glob(f"{records_folder(model)}/*.dsse.json"))
    records = tuple((r.path, tree.read(r.path).blob_id) for r in chain)
    return KnownChain(records, {r.path: r for r in report.records}, trust_bytes)


@dataclass(frozen=True)
class _InventoryJob:
    tree: FileTree
    judges: Judges
    context: EvaluationContext
    review: Mapping[int, int]
    facts: Callable[[str], Mapping[str, Any]]


def inventory_rows(
    tree: FileTree, judges: Judges, spec_paths: Sequence[str], today: str, *, facts: Callable[[str], Mapping[str, Any]] | None = None
) -> list[InventoryRow]:
    """Inventory rows of the given specs, with their open findings (unwaived errors and warnings) as of `today`.

    `facts` gives a model's evidence facts (an `EvidenceFacts`, with or without a cache, or facts known already);
    by default its records are verified here. The specs are shared out over the processors.
    """
    context = EvaluationContext(today, model_names(tree, judges.config), judges.config.waiver_horizon_days)
    facts = facts or EvidenceFacts(tree, judges.trust, None)
    job = _InventoryJob(tree, judges, context, review_days(judges.policies), facts)
    rows = fork_map(_inventory_row, list(spec_paths), job)
    return sorted((row for row in rows if row is not None), key=lambda row: row.model)


def _inventory_row(job: _InventoryJob, path: str) -> InventoryRow | None:
    judges = job.judges
    documents, _ = load_documents(job.tree, [path], judges.config.limits)
    if not documents:
        return None
    document = documents[0]
    findings, valid = spec_findings(
        document,
        judges,
        job.context,
        plan=lambda: plan_of(document, judges),
        facts=job.facts,
    )
    if not valid:
        return None  # a spec that does not validate is reported by assay check, not inventoried
    shown = [d for d in findings if not d.waived and d.severity is not Severity.NOTE]
    errors = sum(1 for d in shown if d.severity is Severity.ERROR)
    return inventory_row(document.data, errors=errors, warnings=len(shown) - errors, waivers=judges.policies.waivers, review=job.review)
