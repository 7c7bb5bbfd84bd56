"""JSON pointers and the map from each pointer to its line and column in the source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def escape_token(token: str | int) -> str:
    """Escape one reference token per RFC 6901."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(pointer: str, token: str | int) -> str:
    if isinstance(token, int) or ("~" not in token and "/" not in token):
        return f"{pointer}/{token}"
    return f"{pointer}/{escape_token(token)}"


def pointer_from_path(path: Iterable[str | int]) -> str:
    """Build a JSON pointer from a sequence of keys and indexes (as jsonschema gives them)."""
    return "".join(f"/{escape_token(token)}" for token in path)


def parent_pointer(pointer: str) -> str:
    return pointer.rsplit("/", 1)[0] if pointer else ""


@dataclass(frozen=True)
class SourceMap:
    """Where every value (and every mapping key) of a document starts, 1-based.

    `values` maps a pointer to the start of its value; `keys` maps the pointer of a
    mapping entry to the start of its key, which is where a reader looks for an
    unknown or misplaced property.
    """

    values: Mapping[str, tuple[int, int]]
    keys: Mapping[str, tuple[int, int]]

    def locate(self, pointer: str, *, key: bool = False) -> tuple[int, int]:
        """Position of `pointer`, or of its nearest ancestor present in the map."""
        if key and pointer in self.keys:
            return self.keys[pointer]
        probe = pointer
        while probe not in self.values:
            if not probe:
                return (1, 1)
            probe = parent_pointer(probe)
        if probe != pointer and probe in self.keys:
            return self.keys[probe]
        return self.values[probe]
