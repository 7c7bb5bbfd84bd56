"""Finding the repository and the files a command was asked to look at."""

from __future__ import annotations

import os
from pathlib import Path

from assay.cli.errors import UserError
from assay.config import Config, load_config
from assay.diagnostics import Diagnostic
from assay.load.tree import WorktreeTree, matches_any
from assay.schema import SchemaSet, SchemaSetError, build_schema_set, bundled_schema_files, directory_schema_files

MARKERS = ("assay.yaml", ".git")


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


def open_repository(root: Path) -> tuple[WorktreeTree, Config, SchemaSet, list[Diagnostic]]:
    """The tree, its configuration and the schemas that judge it (the repository's own override built-ins)."""
    if not root.is_dir():
        raise UserError(f"repository folder {root} does not exist")
    tree = WorktreeTree(root)
    try:
        bundled = bundled_schema_files()
        schemas = build_schema_set(bundled)
        config, diagnostics = load_config(tree, schemas)
        folder = root / (config.schemas or "schemas")
        if (folder / "model.schema.json").is_file() or config.schemas:
            if not folder.is_dir():
                raise UserError(f"assay.yaml names schema folder '{config.schemas}', which does not exist")
            schemas = build_schema_set({**bundled, **directory_schema_files(folder)})
    except SchemaSetError as error:
        raise UserError(f"schema: {error}") from error
    return tree, config, schemas, diagnostics


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
