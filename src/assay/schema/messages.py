"""Messages and hints for schema errors, written for the person editing the spec."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported only when a document is validated
    from jsonschema.exceptions import ValidationError


_JSON_TYPES = {
    dict: "mapping",
    list: "list",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}
_WORDS = {"yes": "true", "on": "true", "y": "true", "no": "false", "off": "false", "n": "false"}


def type_name(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def shown(value: Any) -> str:
    """A short rendering of a value for a message."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def closest(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate a typo most likely meant, if any is close."""
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return lowered[word.lower()]
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_property_hint(key: str, known: Sequence[str]) -> str:
    guess = closest(key, known)
    if guess:
        return f"did you mean '{guess}'?"
    if known:
        return "allowed here: " + ", ".join(known)
    return "no properties are allowed here"


def _expected(error: ValidationError) -> Any:
    """The schema keyword's value (typed loosely by jsonschema's stubs)."""
    return error.validator_value


def _actual(error: ValidationError) -> Any:
    return error.instance


def _type(error: ValidationError) -> tuple[str, str]:
    expected = _expected(error)
    names = expected if isinstance(expected, list) else [expected]
    wanted = " or ".join("mapping" if n == "object" else "list" if n == "array" else str(n) for n in names)
    value = _actual(error)
    got = (
        f"a {type_name(value)}"
        if isinstance(value, dict | list)
        else "nothing (null)"
        if value is None
        else f"{type_name(value)} {shown(value)}"
    )
    message = f"expected {wanted}, got {got}"
    if isinstance(value, str) and value.lower() in _WORDS and "boolean" in names:
        return message, f"assay reads YAML 1.2, where '{value}' is a string: write {_WORDS[value.lower()]}"
    if isinstance(value, str) and ("integer" in names or "number" in names):
        return message, "remove the quotes around the number"
    return message, ""


def _enum(error: ValidationError) -> tuple[str, str]:
    options = [str(o) for o in _expected(error)]
    message = f"{shown(_actual(error))} is not one of the allowed values"
    guess = closest(str(_actual(error)), options) if isinstance(_actual(error), str) else None
    listing = ", ".join(options)
    hint = f"did you mean '{guess}'? allowed: {listing}" if guess else f"allowed: {listing}"
    return message, hint


def _const(error: ValidationError) -> tuple[str, str]:
    return f"expected {shown(_expected(error))}, got {shown(_actual(error))}", ""


def _required(error: ValidationError) -> tuple[str, str]:
    missing = [n for n in _expected(error) if isinstance(_actual(error), dict) and n not in _actual(error)]
    name = missing[0] if missing else "?"
    return f"missing required property '{name}'", f"add '{name}:' here"


def _pattern(error: ValidationError) -> tuple[str, str]:
    return f"{shown(_actual(error))} does not have the required form", f"must match {_expected(error)}"


def _bound(error: ValidationError) -> tuple[str, str]:
    kind = str(error.validator)
    limit = _expected(error)
    value = _actual(error)
    if kind in ("minLength", "maxLength"):
        return f"text of {len(value)} characters; {'at least' if kind == 'minLength' else 'at most'} {limit} expected", ""
    if kind in ("minItems", "maxItems"):
        return f"list of {len(value)} items; {'at least' if kind == 'minItems' else 'at most'} {limit} expected", ""
    relation = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "more than",
        "exclusiveMaximum": "less than",
    }[kind]
    return f"{shown(value)} is out of range: must be {relation} {limit}", ""


def _unique(error: ValidationError) -> tuple[str, str]:
    return "list has duplicate items", "each item may appear once"


def _any_of(error: ValidationError) -> tuple[str, str]:
    options = [_expected(sub)[0] for sub in error.context or () if sub.validator == "required"]
    if options:
        return "needs at least one of: " + ", ".join(f"'{o}'" for o in options), ""
    return "does not match any allowed form", ""


def _property_names(error: ValidationError) -> tuple[str, str]:
    return f"invalid key {shown(_actual(error))}", error.message


_DESCRIBERS: dict[str, Callable[[ValidationError], tuple[str, str]]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "required": _required,
    "pattern": _pattern,
    "minimum": _bound,
    "maximum": _bound,
    "exclusiveMinimum": _bound,
    "exclusiveMaximum": _bound,
    "minLength": _bound,
    "maxLength": _bound,
    "minItems": _bound,
    "maxItems": _bound,
    "uniqueItems": _unique,
    "anyOf": _any_of,
    "oneOf": _any_of,
    "propertyNames": _property_names,
}


def describe_error(error: ValidationError) -> tuple[str, str]:
    """A message and a hint for one jsonschema error."""
    describe = _DESCRIBERS.get(str(error.validator))
    if describe is None:
        return error.message, ""
    return describe(error)
