"""What promotion requires, judged from verified evidence and git history (VAL-02, DEP-02).

The evidence for the exact plan digest must show a training record, and tests that
passed for every kind the environment requires (gates, fairness); each required
approval must come from a key of the required role, held by someone independent:
neither the model's owner nor a developer, nor the author of a material change to
its spec anywhere in git history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assay.evidence.verify import VerifiedRecord
from assay.load import Limits, SourceError, SourceFile, parse_document
from assay.load.git_history import CommitTree, ObjectReader, log_commits
from assay.load.git_tree import GitError
from assay.plan import PlanContext, compile_plan
from assay.plan.diff import plan_changes

TEST_PREFIX = {"gates": "gate:", "fairness": "fairness:"}


def evidence_problems(records: Sequence[VerifiedRecord], plan_digest: str, required: Sequence[str]) -> list[str]:
    """Why the evidence for `plan_digest` does not allow promotion; empty when it does."""
    mine = [r for r in records if r.plan_digest == plan_digest]
    if not any(r.kind == "provenance" for r in mine):
        return [f"no verified training record for plan {plan_digest[:16]}… (run assay run --commit first)"]
    tests = [r for r in mine if r.kind == "tests"]
    if not tests:
        return [f"no verified test record for plan {plan_digest[:16]}…"]
    latest = tests[-1].statement["predicate"]
    problems = []
    for kind in required:
        prefix = TEST_PREFIX.get(kind)
        if prefix is None:
            continue
        failed = [name for name in latest.get("failedTests", []) if name.startswith(prefix)]
        ran = [name for name in [*latest.get("passedTests", []), *failed] if name.startswith(prefix)]
        if failed:
            problems.append(f"{kind} failed for plan {plan_digest[:16]}…: {', '.join(failed[:5])}")
        elif not ran:
            problems.append(f"{kind} required by the environment, but no {kind} test ran for plan {plan_digest[:16]}…")
    return problems


def approval_problems(
    records: Sequence[VerifiedRecord],
    plan_digest: str,
    environment: str,
    requirements: Sequence[Mapping[str, Any]],
    roles: Mapping[str, str],
    excluded: Mapping[str, str],
) -> list[str]:
    """Why the approvals do not satisfy the environment; `roles` maps principals to their key's role,
    `excluded` maps principals who may not approve to the reason."""
    approvals = [
        r
        for r in records
        if r.kind == "approval" and r.plan_digest == plan_digest and r.statement["predicate"]["environment"] == environment
    ]
    problems: list[str] = []
    for requirement in requirements:
        role, count = requirement["role"], int(requirement["count"])
        principals = {r.principal for r in approvals if roles.get(r.principal) == role}
        independent = {p for p in principals if p.lower() not in excluded}
        if len(independent) < count:
            problems.extend(f"approval by {p} does not count: {excluded[p.lower()]}" for p in sorted(principals - independent))
            problems.append(
                f"{environment} needs {count} independent {role} approval(s) of plan {plan_digest[:16]}…, found {len(independent)}"
            )
    return problems


def spec_people(spec: Mapping[str, Any]) -> dict[str, str]:
    """Owner and developers, who may not approve their own model."""
    metadata = spec["metadata"]
    people = {metadata["owner"]["email"].lower(): "they own the model"}
    for developer in metadata.get("developers", []):
        people[developer["email"].lower()] = "they developed the model"
    return people


def material_change_authors(root: Path, spec_path: str) -> dict[str, str]:
    """Authors (email -> their latest such commit) of every commit that changed the spec materially, from git history.

    Git is read by two processes whatever the history's length: one `git log`, and one
    `git cat-file --batch` for the spec at each commit and at its first parent.
    """
    try:
        commits = log_commits(root, [spec_path])
    except GitError:
        return {}
    authors: dict[str, str] = {}
    plans: dict[str, Mapping[str, Any] | None] = {}  # by blob id: a commit's parent usually holds the previous commit's spec
    with ObjectReader(root) as objects:
        for commit in reversed(commits):  # newest first
            after = _plan_at(objects, commit.sha, spec_path, plans)
            if after is None:
                continue
            before = _plan_at(objects, commit.parents[0], spec_path, plans) if commit.parents else None
            if before is None or any(change.material for change in plan_changes(before, after, None, None)):
                authors.setdefault(commit.author_email.lower(), commit.sha)
    return authors


def _plan_at(objects: ObjectReader, commit: str, path: str, plans: dict[str, Mapping[str, Any] | None]) -> Mapping[str, Any] | None:
    try:
        tree = CommitTree(objects, commit)
        blob = tree.blob_id(path)
        if blob is None:
            return None
        if blob not in plans:
            plans[blob] = _plan_of(tree.read(path, _ANY_SIZE))
    except (GitError, SourceError):
        return None
    return plans[blob]


def _plan_of(source: SourceFile) -> Mapping[str, Any] | None:
    document, _ = parse_document(source)
    if document is None or not isinstance(document.data, dict) or "training" not in document.data:
        return None
    try:
        return compile_plan(document.data, PlanContext(source.path, "0" * 40, "0" * 64, "0" * 64, "0")).data
    except (KeyError, TypeError):
        return None


_ANY_SIZE = Limits(max_bytes=1 << 30)  # parse_document applies the loader's own limits to what was read
