"""Consistency checks a JSON Schema cannot express, run on schema-valid specs.

These are facts about the spec itself (a name that matches its folder, features
named once), not bank policy; policy lives in `policies/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load import Document


def check_spec_consistency(document: Document) -> list[Diagnostic]:
    """Every consistency problem of one schema-valid model spec."""
    spec = document.data
    return [
        *_name_matches_folder(document, spec),
        *_unique_names(document, spec.get("data", {}).get("features", []), "/data/features", "feature"),
        *_unique_names(document, spec.get("data", {}).get("protectedAttributes", []), "/data/protectedAttributes", "protected attribute"),
        *_windows_ordered(document, spec.get("data", {})),
        *_canary_steps_increase(document, spec.get("deployment", {}).get("environments", [])),
        *_unique_names(document, spec.get("deployment", {}).get("environments", []), "/deployment/environments", "environment"),
    ]


def _diagnostic(document: Document, code: str, pointer: str, message: str, hint: str = "", *, key: bool = False) -> Diagnostic:
    line, column = document.source_map.locate(pointer, key=key)
    return Diagnostic(code, Severity.ERROR, message, Location(document.path, line, column, pointer), hint)


def _name_matches_folder(document: Document, spec: dict[str, Any]) -> Iterator[Diagnostic]:
    path = PurePosixPath(document.path)
    name = spec.get("metadata", {}).get("name")
    if path.name == "model.yaml" and path.parent.name and name != path.parent.name:
        yield _diagnostic(
            document,
            "S101",
            "/metadata/name",
            f"metadata.name '{name}' differs from its folder '{path.parent.name}'",
            f"rename the folder or set name: {path.parent.name}",
        )


def _unique_names(document: Document, items: list[Any], pointer: str, what: str) -> Iterator[Diagnostic]:
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if name is None:
            continue
        if name in first:
            line, _ = document.source_map.locate(f"{pointer}/{first[name]}/name")
            yield _diagnostic(document, "S102", f"{pointer}/{index}/name", f"{what} '{name}' is declared twice (first on line {line})")
        else:
            first[name] = index


def _windows_ordered(document: Document, data: dict[str, Any]) -> Iterator[Diagnostic]:
    for dataset in ("train", "outOfTime"):
        window = data.get(dataset, {}).get("window", {})
        if window.get("start", "") > window.get("end", "~"):
            yield _diagnostic(
                document,
                "S103",
                f"/data/{dataset}/window/end",
                f"window ends ({window['end']}) before it starts ({window['start']})",
            )


def _canary_steps_increase(document: Document, environments: list[Any]) -> Iterator[Diagnostic]:
    for env_index, environment in enumerate(environments):
        steps = environment.get("strategy", {}).get("steps", [])
        for index in range(1, len(steps)):
            if steps[index]["traffic"] <= steps[index - 1]["traffic"]:
                yield _diagnostic(
                    document,
                    "S104",
                    f"/deployment/environments/{env_index}/strategy/steps/{index}/traffic",
                    f"canary step {index + 1} sends {steps[index]['traffic']}% of traffic, not more than the step before",
                    "canary steps must increase",
                )
