"""Check a set of files: load each, validate it against the schema for its kind, judge models by policy.

One bad file never hides another: each file's problems become that file's
diagnostics, and the result lists every file and every diagnostic in a stable order.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from assay.check.result import CheckResult, FileOutcome, SourceBytes
from assay.check.spec_rules import check_spec_consistency
from assay.config import Config
from assay.diagnostics import Diagnostic, sort_key
from assay.load import Document, Limits, SourceError, SourceFile, parse_document
from assay.load.tree import FileTree
from assay.policy import (
    EvaluationContext,
    PolicySet,
    Waiver,
    apply_waivers,
    judge,
    rule_applies,
    unused_waiver_notes,
    verdicts_to_diagnostics,
)
from assay.schema import SchemaSet, validate_document

SCHEMA_FOR_KIND = {"Model": "model", "Config": "config", "PolicyBundle": "policy", "Waivers": "waivers", "TrustRoot": "trust"}


@dataclass(frozen=True)
class Judges:
    """What judges the specs: schemas, configuration and policies, from the trusted ref or the working tree."""

    schemas: SchemaSet
    config: Config
    policies: PolicySet
    trust: Any = None
    order: Any = None  # where rule 2 of decision 0005 reads the trusted history (RevocationOrder); None: signed time only


def schema_name_for(data: Any) -> str:
    """Which schema judges a document: by its `kind`, and the model schema when unknown."""
    kind = data.get("kind") if isinstance(data, dict) else None
    return SCHEMA_FOR_KIND.get(kind, "model") if isinstance(kind, str) else "model"


def is_model(document: Document) -> bool:
    return schema_name_for(document.data) == "model"


def check_document(document: Document, schemas: SchemaSet) -> list[Diagnostic]:
    """Schema and consistency problems of one document."""
    name = schema_name_for(document.data)
    if name not in schemas.schemas:
        name = "model"
    diagnostics = validate_document(document, schemas.validator(name))
    if name == "model" and not any(d.blocking for d in diagnostics):
        diagnostics.extend(check_spec_consistency(document))
    return diagnostics


def judge_model(
    document: Document,
    policies: PolicySet,
    context: EvaluationContext,
    plan: Mapping[str, Any] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> tuple[list[Diagnostic], set[int]]:
    """Policy findings of one schema-valid model spec (its plan and evidence facts, for rules over them), with waivers."""
    verdicts = judge(policies.rules, document.data, context, plan=plan, facts=facts)
    findings = verdicts_to_diagnostics(verdicts, document.path, document.source_map)
    name = document.data["metadata"]["name"]
    today = datetime.date.fromisoformat(context.today)
    return apply_waivers(findings, name, policies.waivers, today, context.waiver_horizon_days)


def plan_context(document: Document, judges: Judges) -> Any:
    """What a spec's plan pins besides the spec (PlanContext)."""
    from assay import __version__
    from assay.plan import PlanContext

    source = document.source
    return PlanContext(source.path, source.blob_id, source.sha256, judges.policies.digest, __version__, judges.config.prices)


def plan_of(document: Document, judges: Judges) -> Any:
    """The compiled plan (CompiledPlan) of a schema-valid spec, for rules that judge plans."""
    from assay.plan import compile_plan

    return compile_plan(document.data, plan_context(document, judges))


def reads_evidence(policies: PolicySet) -> bool:
    """Whether some rule reads a model's evidence facts (or the plan digest they are matched against)."""
    return any("evidence" in rule.variables or "planDigest" in rule.variables for rule in policies.rules)


def _plan_and_facts(tree: FileTree, document: Document, judges: Judges) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    """The plan and the evidence facts, computed only when a rule that applies to the spec reads them.

    The plan's canonical bytes and digest cost as much as the plan itself: they are made
    only when an applicable rule (its expressions or its templates) reads `planDigest`.
    """
    rules = [rule for rule in judges.policies.rules if rule_applies(rule.match, document.data)]
    needs_plan = any(rule.reads_plan for rule in rules)
    needs_digest = any("planDigest" in rule.variables for rule in rules)
    needs_evidence = any("evidence" in rule.variables for rule in rules)
    if not (needs_plan or needs_digest or needs_evidence):
        return None, None
    if needs_digest:
        compiled = plan_of(document, judges)
        plan, digest = compiled.data, compiled.digest
    else:
        from assay.plan.compile import plan_data

        plan, digest = (plan_data(document.data, plan_context(document, judges)) if needs_plan else None), ""
    if not (needs_evidence or needs_digest):
        return plan, None
    from assay.check.evidence_facts import NO_EVIDENCE, evidence_facts, verified_records

    name = document.data["metadata"]["name"]
    facts = evidence_facts(verified_records(tree, name, judges.trust, judges.order)) if needs_evidence else NO_EVIDENCE
    return plan, {"evidence": facts, "planDigest": digest}


def load_documents(tree: FileTree, paths: Iterable[str], limits: Limits) -> tuple[list[Document], list[Diagnostic]]:
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    for path in paths:
        try:
            source = tree.read(path, limits)
        except SourceError as error:
            diagnostics.append(error.diagnostic)
            continue
        document, problems = parse_document(source, limits)
        diagnostics.extend(problems)
        if document is not None:
            documents.append(document)
    return documents, diagnostics


def model_names(tree: FileTree, config: Config) -> tuple[str, ...]:
    """Names of every model in the tree: the folders of the configured spec paths."""
    return tuple(sorted({PurePosixPath(p).parent.name for pattern in config.models for p in tree.glob(pattern)}))


def check_source(tree: FileTree, source: SourceFile, judges: Judges, context: EvaluationContext) -> FileOutcome:
    """Parse, validate and judge one file's bytes: everything `check_files` finds in it, in the same order."""
    document, problems = parse_document(source, judges.config.limits)
    if document is None:
        return FileOutcome(source.path, tuple(problems), parsed=False)
    diagnostics = [*problems, *check_document(document, judges.schemas)]
    if not is_model(document) or any(d.blocking for d in diagnostics[len(problems) :]):
        return FileOutcome(source.path, tuple(diagnostics))
    findings, matched = judge_model(document, judges.policies, context, *_plan_and_facts(tree, document, judges))
    name = document.data["metadata"]["name"]
    return FileOutcome(
        source.path,
        (*diagnostics, *findings),
        model=name,
        used_waivers=tuple(sorted(matched)),
        evidence_model=name if reads_evidence(judges.policies) else None,
    )


def check_files(
    tree: FileTree,
    paths: Iterable[str],
    judges: Judges,
    context: EvaluationContext,
    *,
    cache: Any = None,
    jobs: int = 1,
    judge_tree: FileTree | None = None,
    complete: bool = False,
) -> CheckResult:
    """Load, validate and judge every file in `paths`.

    `cache` (a ResultCache) reuses what an earlier run found for the same bytes judged by
    the same judges (`judge_tree` is where they came from, default `tree`); `jobs` > 1
    checks the files that need it in that many processes. Neither changes the result.
    `complete` says `paths` are every spec of the repository (the cache may forget others).
    """
    from assay.check.engine import check_paths
    from assay.check.judging import JudgeSource

    judge_tree = judge_tree or tree
    judging = JudgeSource.of(judges, judge_tree)
    commit = getattr(judge_tree, "commit", None) if judge_tree is not tree else None
    return check_paths(tree, paths, judging, context, cache=cache, jobs=jobs, trusted_commit=commit, complete=complete)


def merge_outcomes(
    paths: Iterable[str], outcomes: Iterable[FileOutcome], waivers: Sequence[Waiver], sources: Mapping[str, bytes]
) -> CheckResult:
    """One CheckResult from every file's outcome (in path order), with the unused-waiver notes of them all.

    `sources` gives the bytes of files that parsed; only those with a diagnostic are kept.
    """
    diagnostics: list[Diagnostic] = []
    used: set[int] = set()
    judged: dict[str, None] = {}
    parsed: set[str] = set()
    for outcome in outcomes:
        diagnostics.extend(outcome.diagnostics)
        if outcome.parsed:
            parsed.add(outcome.path)
        if outcome.model is not None:
            used.update(outcome.used_waivers)
            judged[outcome.model] = None
    diagnostics.extend(unused_waiver_notes(waivers, used, judged))
    flagged = {d.location.path for d in diagnostics} & parsed
    kept = sources.restrict(flagged) if isinstance(sources, SourceBytes) else {p: sources[p] for p in flagged if p in sources}
    return CheckResult(tuple(sorted(set(paths))), tuple(sorted(diagnostics, key=sort_key)), kept)


def finish_result(paths: Iterable[str], diagnostics: list[Diagnostic], documents: Iterable[Document]) -> CheckResult:
    flagged = {d.location.path for d in diagnostics}
    sources = {doc.path: doc.source.content for doc in documents if doc.path in flagged}
    return CheckResult(tuple(sorted(paths)), tuple(sorted(diagnostics, key=sort_key)), sources)
