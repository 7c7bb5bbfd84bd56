"""Loading what `assay plan` compiles: specs from a tree, checked, with their plan contexts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from assay import __version__
from assay.check import Judges, check_document, load_documents
from assay.diagnostics import Diagnostic
from assay.load import Document
from assay.load.git_tree import GitError, run_git
from assay.load.tree import FileTree
from assay.plan import CompiledPlan, PlanContext, compile_plan


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


def spec_paths(tree: FileTree, judges: Judges) -> list[str]:
    return sorted({path for pattern in judges.config.models for path in tree.glob(pattern)})


def plan_models(tree: FileTree, paths: Iterable[str], judges: Judges) -> tuple[list[PlannedModel], list[Diagnostic]]:
    """Compile every valid spec among `paths`; the invalid ones become diagnostics."""
    documents, problems = load_documents(tree, paths, judges.config.limits)
    planned = []
    for document in documents:
        diagnostics = check_document(document, judges.schemas)
        if any(d.blocking for d in diagnostics):
            problems.extend(d for d in diagnostics if d.blocking)
            continue
        context = PlanContext(
            document.path,
            document.source.blob_id,
            document.source.sha256,
            judges.policies.digest,
            __version__,
            judges.config.prices,
        )
        planned.append(PlannedModel(document, compile_plan(document.data, context)))
    return planned, problems


def changed_paths(root: Path, commit: str, paths: Iterable[str]) -> set[str]:
    """Which of `paths` differ between `commit` and the working tree (tracked changes and untracked files)."""
    wanted = set(paths)
    try:
        tracked = run_git(root, "diff", "--no-renames", "--name-only", "-z", commit, "--")
        untracked = run_git(root, "ls-files", "--others", "--exclude-standard", "-z")
    except GitError:
        return wanted
    names = {name.decode("utf-8", "surrogateescape") for name in (tracked + b"\0" + untracked).split(b"\0") if name}
    return wanted & names
