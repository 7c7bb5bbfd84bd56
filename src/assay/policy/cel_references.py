"""Which assay variables a checked CEL expression reads, from the checker's reference map.

The binding lists no references, so this reads the protobuf wire format of the
serialized checked expression directly (no protobuf runtime needed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _varint(buffer: memoryview, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buffer[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7


def _fields(buffer: memoryview) -> Iterator[tuple[int, Any]]:
    """The (field number, value) pairs of a serialized protobuf message (wire format)."""
    position = 0
    while position < len(buffer):
        key, position = _varint(buffer, position)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, position = _varint(buffer, position)
        elif wire == 2:
            size, position = _varint(buffer, position)
            value, position = buffer[position : position + size], position + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, position = buffer[position : position + size], position + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, value


def referenced_variables(expression: Any, variables: tuple[str, ...]) -> frozenset[str]:
    """The assay variables a checked expression may read. The binding lists no references, but
    its serialized form is a google.protobuf.Any holding the cel.expr.CheckedExpr, whose
    reference_map (field 2; Reference.name = 1, overload_id = 3) names every identifier the
    checker resolved. Comprehension variables are listed too (`item` in `exists(item, ...)`),
    so this can only over-approximate; on anything unexpected, every variable."""
    try:
        message = dict(_fields(memoryview(expression.serialize())))  # slices without copies
        if bytes(message.get(1, b"")) != b"type.googleapis.com/cel.expr.CheckedExpr":
            return frozenset(variables)
        names: set[str] = set()
        for field, entry in _fields(message[2]):
            if field != 2:
                continue
            for part, reference in _fields(entry):
                if part == 2:
                    found = dict(_fields(reference))
                    if 3 not in found and 1 in found:
                        names.add(bytes(found[1]).decode())
        return frozenset(names & set(variables))
    except (ValueError, IndexError, KeyError, UnicodeDecodeError):
        return frozenset(variables)
