"""Parse one YAML file into JSON-shaped data with a source map, refusing hostile input.

libyaml (PyYAML's C parser) scans and composes the node graph; this module turns
nodes into plain data itself, so that it can see every node's position, refuse
duplicate keys and tags outside YAML 1.2's core schema, and count alias
expansions before they can blow up (a billion-laughs document is refused after a
hundred aliases, in milliseconds). Scalars resolve by the YAML 1.2 core schema:
`yes`, `no`, `on`, `off` are strings, dates and timestamps are strings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load.source import DEFAULT_LIMITS, Limits, SourceFile, file_diagnostic
from assay.load.sourcemap import SourceMap, join_pointer

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (_TAG + name for name in ("str", "int", "float", "bool", "null"))
SEQ, MAP = _TAG + "seq", _TAG + "map"
_SCALAR_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL})
_WORD_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


class _CoreSchemaResolver(yaml.resolver.BaseResolver):
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
    _CoreSchemaResolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class _NodeLoader(CParser, _CoreSchemaResolver):
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _CoreSchemaResolver.__init__(self)


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data as JSON types, where each value sits, and its source."""

    source: SourceFile
    data: Any
    source_map: SourceMap
    word_booleans: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return self.source.path


class _Refusal(Exception):
    def __init__(self, code: str, message: str, mark: Any, hint: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.mark, self.hint = code, message, mark, hint


def parse_document(source: SourceFile, limits: Limits = DEFAULT_LIMITS) -> tuple[Document | None, list[Diagnostic]]:
    """Parse `source`; on any refusal return no document and one diagnostic saying why."""
    try:
        text = _decode(source)
        node = _compose(text)
        if node is None:
            raise _Refusal("Y009", "file is empty: expected a YAML mapping", None, "a spec starts with 'apiVersion: assay/v1'")
        builder = _Builder(limits)
        data = builder.build(node, "", 0)
    except _Refusal as refusal:
        return None, [_refusal_diagnostic(source.path, refusal)]
    except _DecodeError as error:
        return None, [error.diagnostic]
    source_map = SourceMap(builder.values, builder.keys)
    return Document(source, data, source_map, tuple(builder.word_booleans)), []


class _DecodeError(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _decode(source: SourceFile) -> str:
    try:
        text = source.content.decode("utf-8")
    except UnicodeDecodeError as error:
        before = source.content[: error.start]
        line = before.count(b"\n") + 1
        column = len(before.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        raise _DecodeError(
            Diagnostic(
                "Y002",
                Severity.ERROR,
                f"invalid UTF-8: byte 0x{source.content[error.start]:02x} at offset {error.start}",
                Location(source.path, line, column),
                "save the file as UTF-8",
            )
        ) from error
    return text.removeprefix("\ufeff")


def _compose(text: str) -> Any:
    loader = _NodeLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if isinstance(error, yaml.composer.ComposerError) and "single document" in str(error):
            raise _Refusal(
                "Y008",
                "file holds more than one YAML document",
                mark,
                "one spec per file: remove the '---' separator and what follows",
            ) from error
        problem = error.problem or "invalid YAML"
        context = f" {error.context}" if error.context else ""
        raise _Refusal("Y003", f"YAML syntax error: {problem}{context}", mark) from error
    except yaml.YAMLError as error:
        raise _Refusal("Y003", f"YAML syntax error: {error}", None) from error
    finally:
        loader.dispose()


class _Builder:
    """Turns a composed node graph into data, recording positions and enforcing limits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.values: dict[str, tuple[int, int]] = {}
        self.keys: dict[str, tuple[int, int]] = {}
        self.word_booleans: list[str] = []
        self._seen: set[int] = set()
        self._aliases = 0
        self._nodes = 0

    def build(self, node: yaml.Node, pointer: str, depth: int) -> Any:
        self._count(node, depth)
        self.values[pointer] = _position(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, pointer)
        if isinstance(node, yaml.SequenceNode):
            self._require_tag(node, SEQ)
            return [self.build(item, join_pointer(pointer, i), depth + 1) for i, item in enumerate(node.value)]
        self._require_tag(node, MAP)
        assert isinstance(node, yaml.MappingNode)
        return self._mapping(node, pointer, depth)

    def _count(self, node: yaml.Node, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise _Refusal("Y007", f"nesting deeper than {self.limits.max_depth} levels", node.start_mark)
        if id(node) in self._seen:
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise _Refusal(
                    "Y006",
                    f"more than {self.limits.max_aliases} alias expansions (a YAML bomb?)",
                    node.start_mark,
                    "write the values out instead of repeating anchors",
                )
        else:
            self._seen.add(id(node))
        self._nodes += 1
        if self._nodes > self.limits.max_nodes:
            raise _Refusal("Y006", f"document expands to more than {self.limits.max_nodes:,} values", node.start_mark)

    def _mapping(self, node: yaml.MappingNode, pointer: str, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refusal("Y011", "mapping key is not a scalar", key_node.start_mark, "keys must be plain strings")
            self._require_scalar_tag(key_node)
            key = str(key_node.value)
            if key in first_seen:
                line, _ = _position(first_seen[key])
                raise _Refusal(
                    "Y004",
                    f"duplicate key '{key}' (first defined on line {line})",
                    key_node.start_mark,
                    "remove one of the two; YAML keeps only the last and hides the first",
                )
            first_seen[key] = key_node.start_mark
            child = join_pointer(pointer, key)
            self.keys[child] = _position(key_node.start_mark)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode, pointer: str) -> Any:
        self._require_scalar_tag(node)
        value: str = node.value
        if node.tag == STR:
            if not node.style and value.lower() in _WORD_BOOLEANS:
                self.word_booleans.append(pointer)
            return value
        if node.tag == NULL:
            return None
        if node.tag == BOOL:
            return _read_bool(value, node)
        if node.tag == INT:
            return _read_int(value, node)
        return _read_float(value, node)

    def _require_scalar_tag(self, node: yaml.Node) -> None:
        if node.tag not in _SCALAR_TAGS:
            raise _tag_refusal(node)

    def _require_tag(self, node: yaml.Node, tag: str) -> None:
        if node.tag != tag:
            raise _tag_refusal(node)


def _tag_refusal(node: yaml.Node) -> _Refusal:
    shown = node.tag.replace(_TAG, "!!")
    return _Refusal(
        "Y005",
        f"tag '{shown}' is not allowed: only YAML core-schema types (string, number, boolean, null, list, map)",
        node.start_mark,
        "remove the tag; assay never constructs objects from YAML",
    )


def _read_bool(value: str, node: yaml.Node) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _Refusal("Y013", f"'{value}' is not a boolean: write true or false", node.start_mark)


def _read_int(value: str, node: yaml.Node) -> int:
    try:
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value)
    except ValueError:
        raise _Refusal("Y013", f"'{value}' is not an integer", node.start_mark) from None


def _read_float(value: str, node: yaml.Node) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise _Refusal("Y013", f"'{value}' cannot be represented in JSON", node.start_mark, "use a finite number")
    return number


def _position(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _refusal_diagnostic(path: str, refusal: _Refusal) -> Diagnostic:
    if refusal.mark is None:
        return file_diagnostic(refusal.code, path, refusal.message, refusal.hint)
    line, column = _position(refusal.mark)
    return Diagnostic(refusal.code, Severity.ERROR, refusal.message, Location(path, line, column), refusal.hint)
