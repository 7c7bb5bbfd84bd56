"""Parse one YAML file into JSON-shaped data with a source map, refusing hostile input.

The event-level work (positions, tags, duplicate keys, the alias budget) is in
`assay.load.yaml_events`; this module decodes the bytes and packages the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load.source import DEFAULT_LIMITS, Limits, SourceFile, file_diagnostic
from assay.load.sourcemap import SourceMap

if TYPE_CHECKING:
    from assay.load.yaml_events import EventBuilder, Refusal


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


def parse_document(source: SourceFile, limits: Limits = DEFAULT_LIMITS) -> tuple[Document | None, list[Diagnostic]]:
    """Parse `source`; on any refusal return no document and one diagnostic saying why.

    The data comes from the fast builder when the document is ordinary, and its source
    map is then built (by parsing again, fully) only if something asks for a position.
    """
    import yaml  # here, not at import: a run whose results all come from the cache parses nothing

    from assay.load.yaml_events import EventParser, Refusal
    from assay.load.yaml_fast import Unusual, build_plain

    try:
        text = _decode(source)
    except _DecodeError as error:
        return None, [error.diagnostic]
    parser = EventParser(text)
    try:
        data = build_plain(parser, limits)
    except (Unusual, yaml.YAMLError):
        data = None
    else:
        return Document(source, data, SourceMap(build=lambda: _positions(text, limits))), []
    finally:
        parser.dispose()
    try:
        data, builder = _build_fully(text, limits)
    except Refusal as refusal:
        return None, [_refusal_diagnostic(source.path, refusal)]
    return Document(source, data, SourceMap(builder.values, builder.keys), tuple(builder.word_booleans)), []


def _build_fully(text: str, limits: Limits) -> tuple[Any, EventBuilder]:
    from assay.load.yaml_events import EventBuilder, EventParser

    parser = EventParser(text)
    builder = EventBuilder(parser, limits)
    try:
        return builder.build(), builder
    finally:
        parser.dispose()


def _positions(text: str, limits: Limits) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """The source map of a document the fast builder read (so the full builder reads it too, the same)."""
    _, builder = _build_fully(text, limits)
    return builder.values, builder.keys


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


def _refusal_diagnostic(path: str, refusal: Refusal) -> Diagnostic:
    from assay.load.yaml_events import position

    if refusal.mark is None:
        return file_diagnostic(refusal.code, path, refusal.message, refusal.hint)
    line, column = position(refusal.mark)
    return Diagnostic(refusal.code, Severity.ERROR, refusal.message, Location(path, line, column), refusal.hint)
