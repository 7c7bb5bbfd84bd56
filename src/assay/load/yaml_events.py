"""Build JSON-shaped data from libyaml's event stream, with positions and limits.

libyaml (PyYAML's C parser) scans and parses; this module turns its events into
data itself, so that every value (aliases included) gets the line and column where
it is written, duplicate keys and tags outside YAML 1.2's core schema are refused,
and alias expansion is budgeted before it can blow up: an alias costs the size of
what it repeats, so a billion-laughs document is refused after a few events.
Scalars resolve by the YAML 1.2 core schema: `yes`, `no`, `on`, `off` are strings,
dates and timestamps are strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]

from assay.load.source import Limits
from assay.load.sourcemap import join_pointer

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (_TAG + name for name in ("str", "int", "float", "bool", "null"))
SEQ, MAP = _TAG + "seq", _TAG + "map"
_SCALAR_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL})
# YAML 1.1's boolean words, exactly as YAML 1.1 spells them.
WORD_BOOLEANS = re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")


class CoreSchemaResolver(yaml.resolver.BaseResolver):
    """Implicit tags of the YAML 1.2 core schema, instead of PyYAML's YAML 1.1 set."""


for _tag, _pattern, _first in (
    (BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    (NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    CoreSchemaResolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


# Implicit resolvers by the scalar's first character ('' for the empty scalar).
IMPLICIT: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    key: [(tag, regexp) for tag, regexp in resolvers]
    for key, resolvers in CoreSchemaResolver.yaml_implicit_resolvers.items()
    if key is not None
}


def resolve_scalar(value: str, implicit: tuple[bool, bool], tag: str | None) -> str:
    """The YAML 1.2 core-schema tag of a scalar: explicit tag, else quoted means string, else by pattern."""
    if tag is not None:
        return STR if tag == "!" else tag
    if not implicit[0]:
        return STR
    for candidate, regexp in IMPLICIT.get(value[:1], ()):
        if regexp.match(value):
            return candidate
    return STR


class EventParser(CParser, CoreSchemaResolver):
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        CoreSchemaResolver.__init__(self)


class Refusal(Exception):
    """Input assay will not read: a code, a message, the mark where it happens and a hint."""

    def __init__(self, code: str, message: str, mark: Any, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.mark, self.hint = code, message, mark, hint


def position(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class EventBuilder:
    """Consumes one stream's events; `build()` returns the single document's data."""

    def __init__(self, parser: EventParser, limits: Limits) -> None:
        self.parser = parser
        self.limits = limits
        self.values: dict[str, tuple[int, int]] = {}
        self.keys: dict[str, tuple[int, int]] = {}
        self.word_booleans: list[str] = []
        self._anchors: dict[str, tuple[Any, int]] = {}
        self._aliases = 0
        self._size = 0

        self._next: Callable[[], Any] = parser.get_event

    def build(self) -> Any:
        """The document's data; Refusal for an empty stream, several documents, bad syntax or any limit."""
        try:
            return self._build()
        except yaml.MarkedYAMLError as error:
            problem = error.problem or "invalid YAML"
            context = f" {error.context}" if error.context else ""
            raise Refusal("Y003", f"YAML syntax error: {problem}{context}", error.problem_mark or error.context_mark) from error

    def _build(self) -> Any:
        self._next()  # StreamStart
        event = self._next()
        if isinstance(event, yaml.StreamEndEvent):
            raise Refusal("Y009", "file is empty: expected a YAML mapping", None, "a spec starts with 'apiVersion: assay/v1'")
        first = self._next()
        if isinstance(first, yaml.ScalarEvent) and first.value == "" and not first.style and first.tag is None:
            raise Refusal(
                "Y009", "file holds an empty document: expected a YAML mapping", None, "a spec starts with 'apiVersion: assay/v1'"
            )
        data, _ = self._value(first, "", 0)
        self._next()  # DocumentEnd
        after = self._next()
        if not isinstance(after, yaml.StreamEndEvent):
            raise Refusal(
                "Y008",
                "file holds more than one YAML document",
                after.start_mark,
                "one spec per file: remove the '---' separator and what follows",
            )
        return data

    def _value(self, event: Any, pointer: str, depth: int) -> tuple[Any, int]:
        """(data, size in values) of the node that starts with `event`."""
        if depth > self.limits.max_depth:
            raise Refusal("Y007", f"nesting deeper than {self.limits.max_depth} levels", event.start_mark)
        self.values[pointer] = position(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event)
        if isinstance(event, yaml.ScalarEvent):
            result: tuple[Any, int] = (self._scalar(event, pointer), 1)
        elif isinstance(event, yaml.SequenceStartEvent):
            result = self._sequence(event, pointer, depth)
        elif isinstance(event, yaml.MappingStartEvent):
            result = self._mapping(event, pointer, depth)
        else:
            raise Refusal("Y003", f"unexpected {type(event).__name__}", event.start_mark)
        self._grow(1, event.start_mark)
        if event.anchor is not None:
            self._anchors[event.anchor] = result
        return result

    def _grow(self, size: int, mark: Any) -> None:
        self._size += size
        if self._size > self.limits.max_nodes:
            raise Refusal(
                "Y006",
                f"document expands to more than {self.limits.max_nodes:,} values (a YAML bomb?)",
                mark,
                "write the values out instead of repeating anchors",
            )

    def _alias(self, event: Any) -> tuple[Any, int]:
        if event.anchor not in self._anchors:
            raise Refusal("Y003", f"YAML syntax error: alias '*{event.anchor}' names no anchor defined before it", event.start_mark)
        self._aliases += 1
        if self._aliases > self.limits.max_aliases:
            raise Refusal(
                "Y006",
                f"more than {self.limits.max_aliases} alias expansions (a YAML bomb?)",
                event.start_mark,
                "write the values out instead of repeating anchors",
            )
        data, size = self._anchors[event.anchor]
        self._grow(size, event.start_mark)
        return data, size

    def _sequence(self, event: Any, pointer: str, depth: int) -> tuple[list[Any], int]:
        _require_tag(event, SEQ)
        items: list[Any] = []
        size = 1
        while not isinstance(child := self._next(), yaml.SequenceEndEvent):
            item, item_size = self._value(child, join_pointer(pointer, len(items)), depth + 1)
            items.append(item)
            size += item_size
        return items, size

    def _mapping(self, event: Any, pointer: str, depth: int) -> tuple[dict[str, Any], int]:
        _require_tag(event, MAP)
        result: dict[str, Any] = {}
        size = 1
        while not isinstance(key_event := self._next(), yaml.MappingEndEvent):
            if not isinstance(key_event, yaml.ScalarEvent):
                raise Refusal("Y011", "mapping key is not a scalar", key_event.start_mark, "keys must be plain strings")
            _require_scalar_tag(resolve_scalar(key_event.value, key_event.implicit, key_event.tag), key_event)
            key = key_event.value
            child = join_pointer(pointer, key)
            if key in result:
                line, _ = self.keys[child]
                raise Refusal(
                    "Y004",
                    f"duplicate key '{key}' (first defined on line {line})",
                    key_event.start_mark,
                    "remove one of the two; YAML keeps only the last and hides the first",
                )
            self.keys[child] = position(key_event.start_mark)
            result[key], value_size = self._value(self._next(), child, depth + 1)
            size += value_size
        return result, size

    def _scalar(self, event: Any, pointer: str) -> Any:
        value: str = event.value
        tag = resolve_scalar(value, event.implicit, event.tag)
        _require_scalar_tag(tag, event)
        if tag == STR:
            if not event.style and event.tag is None and WORD_BOOLEANS.match(value):
                self.word_booleans.append(pointer)
            return value
        if tag == NULL:
            return None
        if tag == BOOL:
            if value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise Refusal("Y013", f"'{value}' is not a boolean: write true or false", event.start_mark)
        if tag == INT:
            return read_int(value, event)
        return read_float(value, event)


def _require_scalar_tag(tag: str, event: Any) -> None:
    if tag not in _SCALAR_TAGS:
        raise _tag_refusal(tag, event)


def _require_tag(event: Any, tag: str) -> None:
    if event.tag not in (None, "!", tag):
        raise _tag_refusal(event.tag, event)


def _tag_refusal(tag: str, event: Any) -> Refusal:
    shown = tag.replace(_TAG, "!!")
    return Refusal(
        "Y005",
        f"tag '{shown}' is not allowed: only YAML core-schema types (string, number, boolean, null, list, map)",
        event.start_mark,
        "remove the tag; assay never constructs objects from YAML",
    )


def read_int(value: str, event: Any) -> int:
    try:
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value)
    except ValueError:
        raise Refusal("Y013", f"'{value}' is not an integer", event.start_mark) from None


def read_float(value: str, event: Any) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise Refusal("Y013", f"'{value}' cannot be represented in JSON", event.start_mark, "use a finite number")
    return number
