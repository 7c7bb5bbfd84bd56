"""Every schema is a valid schema of its declared draft, carries an $id, and resolves locally only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from assay.schema import SchemaSetError, build_schema_set, bundled_schema_files

SCHEMAS = sorted((Path(__file__).resolve().parents[2] / "schemas").glob("*.schema.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_against_its_metaschema(path: Path) -> None:
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("https://assay.dev/schemas/")
    jsonschema.validators.validator_for(schema).check_schema(schema)


def _properties_without_description(node: Any, pointer: str = "") -> list[str]:
    missing = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if "description" not in sub:
                missing.append(f"{pointer}/properties/{name}")
        for key, value in node.items():
            missing += _properties_without_description(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            missing += _properties_without_description(value, f"{pointer}/{index}")
    return missing


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_property_has_a_description(path: Path) -> None:
    assert _properties_without_description(json.loads(path.read_text())) == []


def test_refs_resolve_locally_and_unknown_refs_fail_without_network() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://assay.dev/schemas/remote.schema.json",
        "$ref": "https://example.com/not-here.json",
    }
    schemas = build_schema_set({"remote.schema.json": json.dumps(schema).encode()})
    with pytest.raises(Exception, match="not-here"):
        list(schemas.validator("remote").iter_errors({}))


def test_bundled_set_holds_every_schema_file() -> None:
    assert set(bundled_schema_files()) == {p.name for p in SCHEMAS}


def test_invalid_schema_is_refused() -> None:
    bad = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "nonsense"}
    with pytest.raises(SchemaSetError, match="not a valid JSON Schema"):
        build_schema_set({"bad.schema.json": json.dumps(bad).encode()})
