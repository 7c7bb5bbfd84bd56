"""Parameter overrides in `assay.yaml`, checked against the types of the defaults the policies declare.

The config schema can say only that an override is a number, string, boolean, list
or map: which of them a parameter takes is declared by its rule's `default`. Policy
compilation replaces a default by its override (a map keeps the keys it does not
name), so an override of another type, say `reviewDays: 365` where the default is a
map by risk tier, would reach the rule's expression and fail on every spec. It is
refused here instead, at its line in `assay.yaml`. Rules and parameters the policies
do not declare are left to policy compilation (P004).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load import Document, Limits, SourceError, parse_document
from assay.load.tree import FileTree

Declared = Mapping[str, Mapping[str, tuple[Any, str]]]  # rule id -> parameter -> (default, "file:line" of its declaration)
_ANY = object()  # a default that says nothing about its items' type (empty, or mixed)


def declared_parameters(tree: FileTree, paths: Iterable[str], limits: Limits) -> dict[str, dict[str, tuple[Any, str]]]:
    """Every parameter default declared by the policy bundles at `paths`; files that do not load are skipped
    (loading the policies reports them)."""
    declared: dict[str, dict[str, tuple[Any, str]]] = {}
    for path in paths:
        try:
            document, _ = parse_document(tree.read(path, limits), limits)
        except SourceError:
            continue
        if document is not None:
            _add_declared(document, declared)
    return declared


def _add_declared(document: Document, declared: dict[str, dict[str, tuple[Any, str]]]) -> None:
    rules = document.data.get("rules") if isinstance(document.data, dict) else None
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        parameters = rule.get("parameters") if isinstance(rule, dict) else None
        if not isinstance(parameters, dict) or not isinstance(rule.get("id"), str):
            continue
        for name, spec in parameters.items():
            if isinstance(spec, dict) and "default" in spec:
                line, _ = document.source_map.locate(f"/rules/{index}/parameters/{_escape(name)}/default")
                declared.setdefault(rule["id"], {}).setdefault(name, (spec["default"], f"{document.path}:{line}"))


def override_type_problems(document: Document, declared: Declared) -> list[Diagnostic]:
    """S001 at each override in `assay.yaml` whose type differs from its parameter's declared default."""
    overrides = document.data.get("parameters") if isinstance(document.data, dict) else None
    problems: list[Diagnostic] = []
    for rule, values in (overrides or {}).items():
        for name, value in values.items() if isinstance(values, dict) else ():
            if name not in declared.get(rule, {}):
                continue
            default, where = declared[rule][name]
            base = f"/parameters/{_escape(rule)}/{_escape(name)}"
            for pointer, expected, found in _mismatches(value, default, base):
                line, column = document.source_map.locate(pointer)
                message = f"{rule} parameter {name}{pointer[len(base) :]}: expected {expected}, got {found}"
                hint = f"the rule declares {name} at {where} with default {_show(default)}; an override has the default's type"
                problems.append(Diagnostic("S001", Severity.ERROR, message, Location(document.path, line, column, pointer), hint))
    return problems


def _mismatches(value: Any, default: Any, pointer: str) -> Iterator[tuple[str, str, str]]:
    """(pointer, expected type, found type) wherever `value` does not have the type of `default`, items and entries included."""
    expected, found = _kind(default), _kind(value)
    if expected != found:
        yield pointer, _ARTICLE[expected], _ARTICLE[found]
    elif found == "map":
        for key, item in value.items():
            model = default[key] if key in default else _uniform(default.values())
            if model is not _ANY:
                yield from _mismatches(item, model, f"{pointer}/{_escape(key)}")
    elif found == "list":
        model = _uniform(default)
        if model is not _ANY:
            for index, item in enumerate(value):
                yield from _mismatches(item, model, f"{pointer}/{index}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "map" if isinstance(value, dict) else "null"


_ARTICLE = {"boolean": "a boolean", "number": "a number", "string": "a string", "list": "a list", "map": "a map", "null": "nothing (null)"}


def _uniform(values: Iterable[Any]) -> Any:
    """One of `values` when they all have the same type (the model for an entry the default lacks), else _ANY."""
    items = list(values)
    return items[0] if items and len({_kind(item) for item in items}) == 1 else _ANY


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")
