"""Finding the repository, what judges it, and the files a command was asked to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from assay.check import Judges
from assay.cli.errors import UserError
from assay.config import Config, load_config
from assay.diagnostics import Diagnostic, Location, Severity
from assay.load import Limits, SourceError, parse_document
from assay.load.git_tree import GitError, GitTree
from assay.load.tree import FileTree, WorktreeTree, matches_any
from assay.policy import load_policy_set
from assay.schema import SchemaSet, SchemaSetError, build_schema_set, bundled_schema_files, validate_document

MARKERS = ("assay.yaml", ".git")
SCHEMA_LIMITS = Limits(max_bytes=16 * 1024 * 1024)


def find_repository_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding assay.yaml or .git, if any."""
    start = start.resolve()
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in MARKERS):
            return folder
    return None


def choose_repository_root(repo: Path | None, paths: tuple[Path, ...], cwd: Path) -> Path:
    """--repo when given; else the repository holding the first PATH; else the one holding `cwd`."""
    if repo is not None:
        return repo.resolve()
    if paths and os.path.lexists(paths[0]):
        found = find_repository_root(paths[0])
        if found is not None:
            return found
    return find_repository_root(cwd) or cwd.resolve()


def open_worktree(root: Path) -> WorktreeTree:
    if not root.is_dir():
        raise UserError(f"repository folder {root} does not exist")
    return WorktreeTree(root)


def open_trusted_tree(root: Path, ref: str) -> GitTree:
    try:
        return GitTree(root, ref)
    except GitError as error:
        raise UserError(f"--trusted-ref: {error}") from error


def _schema_overrides(tree: FileTree, config: Config) -> dict[str, bytes]:
    folder = config.schemas or "schemas"
    paths = tree.glob(f"{folder}/*.schema.json")
    if config.schemas and not paths:
        raise UserError(f"assay.yaml names schema folder '{config.schemas}', which holds no *.schema.json")
    if not config.schemas and f"{folder}/model.schema.json" not in paths:
        return {}
    try:
        return {Path(p).name: tree.read(p, SCHEMA_LIMITS).content for p in paths}
    except SourceError as error:
        raise UserError(f"schema: {error.diagnostic.message}") from error


def load_config_and_schemas(tree: FileTree) -> tuple[Config, SchemaSet, list[Diagnostic]]:
    """assay.yaml of `tree` (checked against the bundled config schema), the schemas it names, and its problems."""
    try:
        bundled = bundled_schema_files()
        config, config_problems = load_config(tree, build_schema_set({"config.schema.json": bundled["config.schema.json"]}))
        schemas = build_schema_set({**bundled, **_schema_overrides(tree, config)})
    except SchemaSetError as error:
        raise UserError(f"schema: {error}") from error
    return config, schemas, config_problems


def load_judges(tree: FileTree, *, known_good: bool = False) -> tuple[Judges, list[Diagnostic], list[Diagnostic]]:
    """Schemas, configuration and policies of `tree`: the judges, config problems, and policy problems.

    `known_good`: the caller knows these exact judges loaded before without a problem (a replayed
    summary, `assay.check.judging`), so checks that only find problems may be skipped.
    """
    config, schemas, config_problems = load_config_and_schemas(tree)
    policies, policy_problems = load_policy_set(tree, config.policies, schemas, config.parameters, config.limits, known_good=known_good)
    trust, trust_problems = _trust_root(tree, schemas)
    return Judges(schemas, config, policies, trust), config_problems, [*policy_problems, *trust_problems]


def _trust_root(tree: FileTree, schemas: SchemaSet) -> tuple[Any, list[Diagnostic]]:
    """keys/trust.yaml of the tree, schema-checked, or None when absent or invalid."""
    from assay.evidence import TRUST_ROOT_PATH, parse_trust_root
    from assay.evidence.errors import EvidenceError

    if not tree.exists(TRUST_ROOT_PATH):
        return None, []
    try:
        document, problems = parse_document(tree.read(TRUST_ROOT_PATH))
    except SourceError as error:
        return None, [error.diagnostic]
    if document is None:
        return None, problems
    problems = validate_document(document, schemas.validator("trust")) if "trust" in schemas.schemas else []
    if any(p.blocking for p in problems):
        return None, problems
    try:
        return parse_trust_root(document.data), problems
    except EvidenceError as error:
        return None, [Diagnostic("K001", Severity.ERROR, str(error), Location(TRUST_ROOT_PATH, 1, 1))]


def select_files(root: Path, tree: WorktreeTree, config: Config, paths: tuple[Path, ...]) -> list[str]:
    """Repository-relative files to check: the configured specs, or what `paths` name."""
    if not paths:
        return sorted({path for pattern in config.models for path in tree.glob(pattern)})
    selected: set[str] = set()
    for path in paths:
        selected.update(_files_for(root, tree, config, path))
    return sorted(selected)


def _files_for(root: Path, tree: WorktreeTree, config: Config, path: Path) -> list[str]:
    if not os.path.lexists(path):
        raise UserError(f"{path}: no such file or folder")
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(root).as_posix()
    except ValueError:
        raise UserError(f"{path} is outside the repository {root}; pass --repo to choose another") from None
    if not absolute.is_dir():
        return [relative]
    prefix = "" if relative == "." else relative + "/"
    specs = [p for pattern in config.models for p in tree.glob(pattern) if p.startswith(prefix)]
    if specs:
        return specs
    found = [p for ext in ("yaml", "yml") for p in tree.glob(f"{prefix}**/*.{ext}")]
    return [p for p in found if not matches_any(p, (".git/*",))]
