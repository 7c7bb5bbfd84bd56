"""Check a set of files: load each, validate it against the schema for its kind, collect everything.

One bad file never hides another: each file's problems become that file's
diagnostics, and the result lists every file and every diagnostic in a stable order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assay.check.result import CheckResult
from assay.check.spec_rules import check_spec_consistency
from assay.diagnostics import Diagnostic, sort_key
from assay.load import Document, Limits, SourceError, parse_document
from assay.load.tree import FileTree
from assay.schema import SchemaSet, validate_document

SCHEMA_FOR_KIND = {"Model": "model", "Config": "config", "PolicyBundle": "policy", "Waivers": "waivers"}


def schema_name_for(data: Any) -> str:
    """Which schema judges a document: by its `kind`, and the model schema when unknown."""
    kind = data.get("kind") if isinstance(data, dict) else None
    return SCHEMA_FOR_KIND.get(kind, "model") if isinstance(kind, str) else "model"


def check_document(document: Document, schemas: SchemaSet) -> list[Diagnostic]:
    name = schema_name_for(document.data)
    if name not in schemas.schemas:
        name = "model"
    diagnostics = validate_document(document, schemas.validator(name))
    if name == "model" and not any(d.blocking for d in diagnostics):
        diagnostics.extend(check_spec_consistency(document))
    return diagnostics


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


def check_files(tree: FileTree, paths: Iterable[str], schemas: SchemaSet, limits: Limits) -> CheckResult:
    """Load and validate every file in `paths`."""
    paths = sorted(set(paths))
    documents, diagnostics = load_documents(tree, paths, limits)
    for document in documents:
        diagnostics.extend(check_document(document, schemas))
    return finish_result(paths, diagnostics, documents)


def finish_result(paths: Iterable[str], diagnostics: list[Diagnostic], documents: Iterable[Document]) -> CheckResult:
    flagged = {d.location.path for d in diagnostics}
    sources = {doc.path: doc.source.content for doc in documents if doc.path in flagged}
    return CheckResult(tuple(sorted(paths)), tuple(sorted(diagnostics, key=sort_key)), sources)
