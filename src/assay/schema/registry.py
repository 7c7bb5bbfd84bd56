"""The set of JSON Schemas assay judges files against, resolved locally only.

Schemas come as bytes keyed by file name, so the same code builds a set from the
installed package, from a repository's `schemas/` folder, or from a git ref. Each
schema is checked against its metaschema before it is trusted, and `$ref`s resolve
only to schemas in the set: a reference to anything else is an error, never a
network fetch.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema and referencing are imported when a schema set is built, not before
    import jsonschema
    import referencing

SCHEMA_SUFFIX = ".schema.json"


class SchemaSetError(Exception):
    """A schema that is not valid JSON, not a valid schema, or refers outside the set."""


class CompiledSchema:
    """One schema compiled twice: a fast validator that answers "valid?", and jsonschema's,
    which explains. Valid documents (the common case) never reach the slow one, and it is
    built (jsonschema imported) only when one does."""

    def __init__(self, explain: Callable[[], jsonschema.protocols.Validator], fast: Any | None) -> None:
        self._explain = explain
        self.fast = fast

    @functools.cached_property
    def detailed(self) -> jsonschema.protocols.Validator:
        return self._explain()

    def iter_errors(self, instance: Any) -> Iterator[jsonschema.ValidationError]:
        if self.fast is None:
            yield from self.detailed.iter_errors(instance)
            return
        if self.fast.is_valid(instance):
            return
        errors = list(self.detailed.iter_errors(instance))
        # The two can disagree where Python's regex differs from ECMA-262 (Python's `$`
        # also matches before a final newline). The stricter answer wins: never pass silently.
        yield from errors or _fast_errors(self.fast, instance)


@functools.lru_cache(maxsize=512)
def python_regex(pattern: str) -> re.Pattern[str]:
    """An ECMA-262 pattern as a Python regex: `$` (outside a class, unescaped) means the very end."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == "]":
            in_class = False
            out.append(char)
        else:
            out.append(r"\Z" if char == "$" and not in_class else char)
    return re.compile("".join(out))


def ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """The `pattern` keyword with JSON Schema's (ECMA-262) meaning of `$`, where Python's differs."""
    import jsonschema

    if validator.is_type(instance, "string") and not python_regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _fast_errors(fast: Any, instance: Any) -> Iterator[jsonschema.ValidationError]:
    """jsonschema-rs's own errors, in jsonschema's error type, for the reporters."""
    import jsonschema

    for error in fast.iter_errors(instance):
        keyword = str(error.schema_path[-1]) if error.schema_path else "schema"
        yield jsonschema.ValidationError(
            error.message,
            validator=keyword,
            path=list(error.instance_path),
            instance=error.instance,
            validator_value=getattr(error.kind, "pattern", None),
            schema={},
        )


@dataclass(frozen=True)
class SchemaSet:
    """Schemas by short name (`model` for model.schema.json), their digests, and their shared registry
    (built on first use: only jsonschema's detailed validators resolve references through it)."""

    schemas: Mapping[str, Mapping[str, Any]]
    digests: Mapping[str, str]
    uris: Mapping[str, str] = field(default_factory=dict)  # name -> the schema's $id, else its file name
    _compiled: dict[str, CompiledSchema] = field(default_factory=dict, compare=False, repr=False)

    @functools.cached_property
    def registry(self) -> referencing.Registry[Any]:
        import referencing
        from referencing.jsonschema import DRAFT202012

        resources_ = [
            (self.uris[name], referencing.Resource.from_contents(schema, default_specification=DRAFT202012))
            for name, schema in self.schemas.items()
        ]
        # A Registry without a `retrieve` function never fetches: an unknown $ref is an error.
        registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources_)
        return registry.crawl()

    def validator(self, name: str) -> CompiledSchema:
        """The compiled schema `name`, compiled once per set."""
        if name not in self._compiled:
            schema = self.schemas[name]
            self._compiled[name] = CompiledSchema(functools.partial(_detailed_validator, schema, self), _fast_validator(schema))
        return self._compiled[name]


def _detailed_validator(schema: Mapping[str, Any], schemas: SchemaSet) -> jsonschema.protocols.Validator:
    import jsonschema

    extend: Any = jsonschema.validators.extend
    cls = extend(jsonschema.validators.validator_for(schema), {"pattern": ecma_pattern})
    validator: jsonschema.protocols.Validator = cls(schema, registry=schemas.registry)
    return validator


def _fast_validator(schema: Mapping[str, Any]) -> Any | None:
    """jsonschema-rs for self-contained schemas; None (jsonschema alone) otherwise."""
    if _has_external_ref(schema):
        return None
    import jsonschema_rs

    return jsonschema_rs.validator_for(dict(schema))


def _has_external_ref(node: Any) -> bool:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return True
        return any(_has_external_ref(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_external_ref(value) for value in node)
    return False


def _check_schema(filename: str, schema: Any) -> None:
    """Refuse a schema that its metaschema rejects: jsonschema-rs answers fast, jsonschema explains."""
    import jsonschema_rs

    # jsonschema-rs raises for drafts it does not know; jsonschema then decides.
    with contextlib.suppress(Exception):
        if isinstance(schema, dict) and jsonschema_rs.meta.is_valid(schema):
            return
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as error:
        raise SchemaSetError(f"{filename}: not a valid JSON Schema: {error.message}") from error
    if not isinstance(schema, dict):
        raise SchemaSetError(f"{filename}: not a valid JSON Schema: not an object")


def build_schema_set(files: Mapping[str, bytes]) -> SchemaSet:
    """Parse, check and register every `<name>.schema.json` in `files`."""
    schemas: dict[str, Mapping[str, Any]] = {}
    digests: dict[str, str] = {}
    uris: dict[str, str] = {}
    for filename in sorted(files):
        if not filename.endswith(SCHEMA_SUFFIX):
            continue
        name = filename[: -len(SCHEMA_SUFFIX)]
        content = files[filename]
        try:
            schema = json.loads(content)
        except (ValueError, UnicodeDecodeError) as error:
            raise SchemaSetError(f"{filename}: not valid JSON: {error}") from error
        _check_schema(filename, schema)
        schemas[name] = schema
        digests[name] = hashlib.sha256(content).hexdigest()
        uris[name] = schema.get("$id", filename)
    return SchemaSet(schemas, digests, uris)


def bundled_schema_files() -> dict[str, bytes]:
    """The schemas shipped with assay: inside the wheel, or `schemas/` of a source checkout."""
    packaged = resources.files("assay") / "schemas"
    if packaged.is_dir():
        return {entry.name: entry.read_bytes() for entry in packaged.iterdir() if entry.name.endswith(SCHEMA_SUFFIX)}
    checkout = Path(__file__).resolve().parents[3] / "schemas"
    return {path.name: path.read_bytes() for path in checkout.glob(f"*{SCHEMA_SUFFIX}")}


def directory_schema_files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.glob(f"*{SCHEMA_SUFFIX}"))}
