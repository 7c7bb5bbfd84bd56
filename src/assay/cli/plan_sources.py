"""Loading what `assay plan` compiles: specs from a tree, checked, with their plan contexts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from assay import __version__
from assay.check import Judges, check_document, load_documents
from assay.cli.repository import load_config_and_schemas
from assay.config import Config
from assay.diagnostics import Diagnostic
from assay.load import Document, SourceError
from assay.load.tree import FileTree
from assay.plan import CompiledPlan, PlanContext, compile_plan
from assay.policy import policy_files
from assay.policy.compile import policy_digest
from assay.schema import SchemaSet


@dataclass(frozen=True)
class PlanInputs:
    """What compiling a plan needs from a tree: its schemas and configuration, and the digest of its policies.

    A plan pins the policies by digest and never evaluates them, so `load_plan_inputs` reads the
    policy files' bytes without compiling a rule (assay check judges them).
    """

    schemas: SchemaSet
    config: Config
    policy_digest: str

    @classmethod
    def of(cls, judges: Judges) -> PlanInputs:
        return cls(judges.schemas, judges.config, judges.policies.digest)


def load_plan_inputs(tree: FileTree) -> tuple[PlanInputs, list[Diagnostic]]:
    """The plan inputs of `tree` and its configuration problems; the digest is the one `load_judges` computes."""
    config, schemas, problems = load_config_and_schemas(tree)
    sources = {}
    for path in policy_files(tree, config.policies):
        try:
            sources[path] = tree.read(path, config.limits).content
        except SourceError:
            continue  # unreadable: left out of the digest, as the policy loader leaves it out
    return PlanInputs(schemas, config, policy_digest(sources)), problems


@dataclass(frozen=True)
class PlannedModel:
    """A spec that compiled: its document and its plan."""

    document: Document
    plan: CompiledPlan

    @property
    def name(self) -> str:
        return self.plan.model


def model_of(path: str) -> str:
    return PurePosixPath(path).parent.name


def spec_paths(tree: FileTree, config: Config) -> list[str]:
    return sorted({path for pattern in config.models for path in tree.glob(pattern)})


def plan_models(tree: FileTree, paths: Iterable[str], inputs: PlanInputs) -> tuple[list[PlannedModel], list[Diagnostic]]:
    """Compile every valid spec among `paths`; the invalid ones become diagnostics."""
    documents, problems = load_documents(tree, paths, inputs.config.limits)
    planned = []
    for document in documents:
        diagnostics = check_document(document, inputs.schemas)
        if any(d.blocking for d in diagnostics):
            problems.extend(d for d in diagnostics if d.blocking)
            continue
        context = PlanContext(
            document.path,
            document.source.blob_id,
            document.source.sha256,
            inputs.policy_digest,
            __version__,
            inputs.config.prices,
        )
        planned.append(PlannedModel(document, compile_plan(document.data, context)))
    return planned, problems


def fail(problems: Sequence[Diagnostic]) -> None:
    """Report the problems that stop a plan (as `assay check` would show them) on standard error."""
    import click

    from assay.check import CheckResult
    from assay.diagnostics import sort_key
    from assay.report import REPORTERS

    diagnostics = tuple(sorted(problems, key=sort_key))
    report = REPORTERS["text"](CheckResult(tuple(sorted({d.location.path for d in diagnostics})), diagnostics))
    click.echo(report + "assay plan: fix these problems first (assay check shows them all)", err=True, nl=False)
