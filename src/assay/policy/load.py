"""Load the policy set of a tree: every bundle under the policies folder, compiled, and its waivers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.diagnostics import Diagnostic
from assay.load import Document, Limits, SourceError, parse_document
from assay.load.tree import FileTree
from assay.policy.compile import compile_bundles, policy_digest
from assay.policy.model import PolicySet, Waiver
from assay.policy.waivers import parse_waivers
from assay.schema import SchemaSet, validate_document


def policy_files(tree: FileTree, folder: str) -> list[str]:
    return sorted({*tree.glob(f"{folder}/*.yaml"), *tree.glob(f"{folder}/*.yml")})


def load_policy_set(
    tree: FileTree,
    folder: str,
    schemas: SchemaSet,
    overrides: Mapping[str, Mapping[str, Any]],
    limits: Limits,
    *,
    known_good: bool = False,
) -> tuple[PolicySet, list[Diagnostic]]:
    """Every rule and waiver under `folder`; problems in them are diagnostics at their lines.

    `known_good`: these exact files loaded before without a problem, so templates are not syntax-checked again.
    """
    diagnostics: list[Diagnostic] = []
    bundles: list[Document] = []
    waivers: list[Waiver] = []
    sources: dict[str, bytes] = {}
    paths = policy_files(tree, folder)
    for path in paths:
        try:
            source = tree.read(path, limits)
        except SourceError as error:
            diagnostics.append(error.diagnostic)
            continue
        sources[path] = source.content
        document, problems = parse_document(source, limits)
        diagnostics.extend(problems)
        if document is None:
            continue
        kind = document.data.get("kind") if isinstance(document.data, dict) else None
        schema = "waivers" if kind == "Waivers" else "policy"
        problems = validate_document(document, schemas.validator(schema))
        diagnostics.extend(problems)
        if schema == "waivers":
            waivers.extend(parse_waivers(document, problems))
        elif not any(p.blocking for p in problems):
            bundles.append(document)
    rules, problems = compile_bundles(bundles, overrides, check_templates=not known_good)
    diagnostics.extend(problems)
    return PolicySet(tuple(rules), tuple(waivers), policy_digest(sources), tuple(paths)), diagnostics
