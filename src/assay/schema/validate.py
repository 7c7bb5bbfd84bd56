"""Schema validation: every error in a document, each at its line and column.

jsonschema's `iter_errors` finds every problem (one never hides another); this
module turns each into a Diagnostic with a stable code, a message written for the
person editing the file, and a hint. A failing `oneOf`/`anyOf` reports the branch
the author most likely meant instead of a wall of sub-errors, and an unknown
property names the nearest valid one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load import Document, join_pointer, pointer_from_path
from assay.schema.messages import describe_error, unknown_property_hint
from assay.schema.registry import CompiledSchema

if TYPE_CHECKING:  # jsonschema is imported only when a document is validated
    from jsonschema.exceptions import ValidationError

_CODES = {
    "type": "S001",
    "required": "S002",
    "additionalProperties": "S003",
    "unevaluatedProperties": "S003",
    "enum": "S004",
    "const": "S004",
    "pattern": "S005",
    "format": "S005",
    "propertyNames": "S005",
    "minimum": "S006",
    "maximum": "S006",
    "exclusiveMinimum": "S006",
    "exclusiveMaximum": "S006",
    "minLength": "S006",
    "maxLength": "S006",
    "minItems": "S006",
    "maxItems": "S006",
    "uniqueItems": "S007",
    "oneOf": "S008",
    "anyOf": "S008",
}


def validate_document(document: Document, validator: CompiledSchema) -> list[Diagnostic]:
    """All schema problems in `document`, plus YAML 1.1 boolean warnings where strings were accepted."""
    diagnostics: list[Diagnostic] = []
    for error in _leaf_errors(validator.iter_errors(document.data)):
        diagnostics.extend(_diagnostics_for(document, error))
    flagged = {d.location.pointer for d in diagnostics}
    diagnostics.extend(_word_boolean_warnings(document, flagged))
    return diagnostics


def _leaf_errors(errors: Iterable[ValidationError]) -> Iterator[ValidationError]:
    """Replace each failed oneOf/anyOf by the errors of the branch the author meant."""
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            branch = _intended_branch(error)
            if branch:
                yield from _leaf_errors(branch)
                continue
        yield error


def _intended_branch(error: ValidationError) -> list[ValidationError]:
    """The sub-errors of the branch that fits best: one whose discriminating consts match."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if error.validator == "anyOf" and _all_required_alternatives(error):
        return []
    matching = [errs for errs in branches.values() if not any(_is_discriminator_miss(e, error) for e in errs)]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        return _discriminator_error(error, branches) or _best(error)
    return min(matching, key=len)


def _best(error: ValidationError) -> list[ValidationError]:
    from jsonschema.exceptions import best_match

    best = best_match(error.context or ())
    return [best] if best is not None else []


def _discriminator_error(error: ValidationError, branches: dict[Any, list[ValidationError]]) -> list[ValidationError]:
    """Every branch rejected the same discriminating property: report it as one choice of values."""
    from jsonschema.exceptions import ValidationError

    misses = [next(e for e in errs if _is_discriminator_miss(e, error)) for errs in branches.values()]
    if len({tuple(miss.absolute_path) for miss in misses}) != 1:
        return []
    first = misses[0]
    choices = [miss.validator_value for miss in misses]
    return [
        ValidationError(
            f"{first.instance!r} is not one of {choices!r}",
            validator="enum",
            validator_value=choices,
            instance=first.instance,
            path=list(first.absolute_path),
            schema={"enum": choices},
        )
    ]


def _is_discriminator_miss(sub: ValidationError, parent: ValidationError) -> bool:
    """A `const` failing on a direct property means this branch is for another variant."""
    return sub.validator == "const" and len(sub.relative_path) == 1


def _all_required_alternatives(error: ValidationError) -> bool:
    """anyOf: [{required: [a]}, {required: [b]}]: report it as one 'needs a or b' error."""
    return all(sub.validator == "required" for sub in error.context or ())


def _diagnostics_for(document: Document, error: ValidationError) -> Iterator[Diagnostic]:
    pointer = pointer_from_path(error.absolute_path)
    code = _CODES.get(str(error.validator), "S009")
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        yield from _unknown_properties(document, error, pointer, code)
        return
    if error.validator == "required":
        missing = _missing_property(error)
        target = join_pointer(pointer, missing) if missing else pointer
        line, column = document.source_map.locate(pointer, key=True)
        message, hint = (f"missing required property '{missing}'", f"add '{missing}:' here") if missing else describe_error(error)
        yield Diagnostic(code, Severity.ERROR, message, Location(document.path, line, column, target), hint)
        return
    if error.validator == "pattern" and "propertyNames" in error.schema_path:
        key = join_pointer(pointer, str(error.instance))
        line, column = document.source_map.locate(key, key=True)
        yield Diagnostic(
            code,
            Severity.ERROR,
            f"invalid key '{error.instance}'",
            Location(document.path, line, column, key),
            f"keys must match {error.validator_value}",
        )
        return
    line, column = document.source_map.locate(pointer)
    message, hint = describe_error(error)
    yield Diagnostic(code, Severity.ERROR, message, Location(document.path, line, column, pointer), hint)


def _missing_property(error: ValidationError) -> str:
    """The one property this `required` error is about (jsonschema raises one error per missing name)."""
    match = re.match(r"^'(.*)' is a required property$", error.message)
    return match.group(1) if match else ""


def _unknown_properties(document: Document, error: ValidationError, pointer: str, code: str) -> Iterator[Diagnostic]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = sorted(schema.get("properties", {}))
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key in known:
            continue
        child = join_pointer(pointer, key)
        line, column = document.source_map.locate(child, key=True)
        where = f" in {pointer}" if pointer else ""
        yield Diagnostic(
            code,
            Severity.ERROR,
            f"unknown property '{key}'{where}",
            Location(document.path, line, column, child),
            unknown_property_hint(key, known),
        )


def _word_boolean_warnings(document: Document, flagged: set[str]) -> Iterator[Diagnostic]:
    for pointer in document.word_booleans:
        if pointer in flagged:
            continue
        line, column = document.source_map.locate(pointer)
        word = _value_at(document.data, pointer)
        yield Diagnostic(
            "Y101",
            Severity.WARNING,
            f"'{word}' is read as the string '{word}', but YAML 1.1 tools read it as a boolean",
            Location(document.path, line, column, pointer),
            f"quote it ('{word}') so every tool reads the same value (the 'Norway problem')",
        )


def _value_at(data: Any, pointer: str) -> Any:
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        data = data[int(token)] if isinstance(data, list) else data[token]
    return data
