"""Checking files in parallel: parsing, validation and policy evaluation across processes.

Workers are forked after the judges are loaded, so each starts with the compiled
schemas and policies in memory and imports nothing (no scikit-learn, numpy or pandas
either: only what this process already holds). Where fork is not available the
workers are spawned and load the judges once each, in their initializer. Files go to
workers in chunks, with their bytes (so a file that changes mid-run is judged as the
bytes its cache key names), and results come back in submission order: the output
does not depend on the number of workers.

A forked worker is replaced after RECYCLE_FILES files, so memory that a native binding
keeps per evaluated spec cannot pile up over a 10,000-spec run (a fork costs a few
milliseconds). That is why this is a multiprocessing Pool (`maxtasksperchild`) and not
a ProcessPoolExecutor, which refuses `max_tasks_per_child` with fork.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from assay.check.result import FileOutcome
from assay.check.run import Judges, check_source
from assay.load import SourceFile
from assay.load.tree import FileTree, WorktreeTree
from assay.policy import EvaluationContext
from assay.policy.cel_env import CelError

PARALLEL_MIN_FILES = 300  # below this, starting workers costs more than it saves
MAX_CHUNK = 200
MIN_CHUNK = 20
RECYCLE_FILES = 1000


@dataclass(frozen=True)
class _State:
    tree: FileTree
    judges: Judges
    context: EvaluationContext


@dataclass(frozen=True)
class _Setup:
    """What a spawned worker needs to rebuild the state: where the repository is, and which ref judges."""

    root: str
    trusted_commit: str | None
    context: EvaluationContext


_state: dict[str, _State] = {}  # this process's judges, for the workers (forked from it, or spawned and loaded)


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """fork where it is safe and cheap (Linux); spawn elsewhere (macOS and Windows default to it)."""
    import multiprocessing

    return "fork" if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods() else "spawn"


def workers_for(files: int, jobs: int) -> int:
    """How many processes check `files` files: 1 (this one) for few files or --jobs 1."""
    if jobs <= 1 or files < PARALLEL_MIN_FILES:
        return 1
    return min(jobs, math.ceil(files / MIN_CHUNK))


def compute_outcomes(
    tree: FileTree,
    sources: Sequence[SourceFile],
    judges: Judges,
    context: EvaluationContext,
    jobs: int,
    trusted_commit: str | None = None,
) -> Iterator[FileOutcome]:
    """The outcome of every source, in order, each as soon as it and those before it are done."""
    workers = workers_for(len(sources), jobs)
    if workers == 1:
        return (check_source(tree, source, judges, context) for source in sources)
    return _in_workers(tree, sources, judges, context, workers, trusted_commit)


def _in_workers(
    tree: FileTree, sources: Sequence[SourceFile], judges: Judges, context: EvaluationContext, workers: int, trusted_commit: str | None
) -> Iterator[FileOutcome]:
    import multiprocessing

    size = max(MIN_CHUNK, min(MAX_CHUNK, math.ceil(len(sources) / (workers * 4))))
    chunks = [list(sources[start : start + size]) for start in range(0, len(sources), size)]
    if start_method() == "fork":
        _compile_rules(judges)
        _state["current"] = _State(tree, judges, context)
        pool = multiprocessing.get_context("fork").Pool(workers, maxtasksperchild=max(1, RECYCLE_FILES // size))
    elif isinstance(tree, WorktreeTree):
        setup = _Setup(str(tree.root), trusted_commit, context)
        pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_load, initargs=(setup,))
    else:
        yield from (check_source(tree, source, judges, context) for source in sources)
        return
    try:
        with pool:
            for chunk in pool.imap(_check_chunk, chunks):
                yield from chunk
    finally:
        _state.clear()


def _compile_rules(judges: Judges) -> None:
    """Compile every rule's bound expressions here, once, rather than in each worker after each recycling.
    (An expression that fails to compile fails again, the same way, where it runs.)"""
    for rule in judges.policies.rules:
        for expression in (rule.when, rule.for_each, rule.condition):
            if expression is not None:
                with contextlib.suppress(CelError):
                    expression.bound  # noqa: B018 - compiles and caches
        rule.condition.each  # noqa: B018


def _load(setup: _Setup) -> None:
    """A spawned worker's initializer: load the judges once, as the parent did."""
    import dataclasses

    from assay.check.evidence_facts import RevocationOrder, revoked_keys
    from assay.cli.repository import load_judges, open_trusted_tree

    worktree = WorktreeTree(Path(setup.root))
    judge_tree = open_trusted_tree(worktree.root, setup.trusted_commit) if setup.trusted_commit else worktree
    judges, _, _ = load_judges(judge_tree)
    order = RevocationOrder.of(worktree, setup.trusted_commit or "HEAD", revoked_keys(judges.trust))
    _state["current"] = _State(worktree, dataclasses.replace(judges, order=order), setup.context)


def _check_chunk(sources: list[SourceFile]) -> list[FileOutcome]:
    state = _state["current"]
    return [check_source(state.tree, source, state.judges, state.context) for source in sources]
