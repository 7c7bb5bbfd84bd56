"""The common case of YAML loading, fast: data only, no positions, nothing unusual.

Most specs have no anchors, aliases, tags, duplicate keys, YAML 1.1 boolean words or
problems, and most never produce a diagnostic, so most never need a source map. This
builder walks libyaml's events like `assay.load.yaml_events.EventBuilder` but records
no positions and builds no JSON pointers; on anything out of the ordinary (anything
that builder would refuse, warn about, or treat specially) it gives up with `Unusual`,
and the caller parses again with the full builder, which then says exactly what is
wrong. Whatever this builder returns, the full builder returns too, equal.
"""

from __future__ import annotations

from typing import Any

from yaml.events import MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent

from assay.load.source import Limits
from assay.load.yaml_events import (
    BOOL,
    FLOAT,
    IMPLICIT,
    INT,
    MAP,
    NULL,
    SEQ,
    STR,
    WORD_BOOLEANS,
    EventParser,
    Refusal,
    read_float,
    read_int,
)

_PLAIN_TAGS = (None, "!")


class Unusual(Exception):
    """The document needs the full builder: it has something this one does not handle."""


def build_plain(parser: EventParser, limits: Limits) -> Any:
    """The data of the single document in `parser`'s stream; Unusual when the full builder must decide."""
    builder = _PlainBuilder(parser, limits)
    get = parser.get_event
    get()  # StreamStart
    get()  # DocumentStart, or StreamEnd for an empty stream (then the next event is not a collection)
    first = get()
    if type(first) is MappingStartEvent:
        data: Any = builder.mapping(first, 0)
    elif type(first) is SequenceStartEvent:
        data = builder.sequence(first, 0)
    else:
        raise Unusual
    get()  # DocumentEnd
    if type(get()).__name__ != "StreamEndEvent":
        raise Unusual
    return data


class _PlainBuilder:
    def __init__(self, parser: EventParser, limits: Limits) -> None:
        self.get = parser.get_event
        self.max_depth = limits.max_depth
        self.budget = limits.max_nodes  # values left before the full builder's Y006

    def _count(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise Unusual

    def value(self, event: Any, depth: int) -> Any:
        kind = type(event)
        if kind is ScalarEvent:
            return self.scalar(event)
        if kind is MappingStartEvent:
            return self.mapping(event, depth)
        if kind is SequenceStartEvent:
            return self.sequence(event, depth)
        raise Unusual  # an alias, or anything else

    def mapping(self, event: Any, depth: int) -> dict[str, Any]:
        """A mapping at `depth` (the document's root is at 0), whose values are one level deeper."""
        if event.anchor is not None or (event.tag not in _PLAIN_TAGS and event.tag != MAP) or depth >= self.max_depth:
            raise Unusual  # (at the depth limit even an empty one goes to the full builder: rare, and simpler)
        result: dict[str, Any] = {}
        get = self.get
        child_depth = depth + 1
        while True:
            key = get()
            if type(key) is not ScalarEvent:
                if type(key) is MappingEndEvent:
                    break
                raise Unusual
            name = key.value
            if key.tag is not None or key.anchor is not None or name in result:
                raise Unusual
            child = get()
            # Scalars inline: they are most values, and a call each is a fifth of the time.
            if type(child) is ScalarEvent and child.anchor is None and child.tag is None and not child.implicit[0]:
                self._count()
                result[name] = child.value
            else:
                result[name] = self.value(child, child_depth)
        self._count()
        return result

    def sequence(self, event: Any, depth: int) -> list[Any]:
        if event.anchor is not None or (event.tag not in _PLAIN_TAGS and event.tag != SEQ) or depth >= self.max_depth:
            raise Unusual
        items: list[Any] = []
        get = self.get
        child_depth = depth + 1
        while type(child := get()) is not SequenceEndEvent:
            items.append(self.value(child, child_depth))
        self._count()
        return items

    def scalar(self, event: Any) -> Any:
        if event.anchor is not None or event.tag is not None:
            raise Unusual
        self._count()
        value: str = event.value
        if not event.implicit[0]:
            return value  # quoted or block: a string
        tag = STR
        for candidate, regexp in IMPLICIT.get(value[:1], ()):
            if regexp.match(value):
                tag = candidate
                break
        if tag == STR:
            if not event.style and WORD_BOOLEANS.match(value):
                raise Unusual  # the full builder records it for a Y101 warning
            return value
        if tag == NULL:
            return None
        try:
            if tag == INT:
                return read_int(value, event)
            if tag == FLOAT:
                return read_float(value, event)
        except Refusal:
            raise Unusual from None
        if tag == BOOL and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise Unusual
