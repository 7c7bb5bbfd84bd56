"""JSON pointers and the map from each pointer to its line and column in the source."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


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


class SourceMap:
    """Where every value (and every mapping key) of a document starts, 1-based.

    `values` maps a pointer to the start of its value; `keys` maps the pointer of a
    mapping entry to the start of its key, which is where a reader looks for an
    unknown or misplaced property. Given `build` instead of the two maps, the maps are
    built on first use (most documents never need a position: nothing is wrong in them).
    """

    __slots__ = ("_build", "_maps")

    def __init__(
        self,
        values: Mapping[str, tuple[int, int]] | None = None,
        keys: Mapping[str, tuple[int, int]] | None = None,
        *,
        build: Callable[[], tuple[Mapping[str, tuple[int, int]], Mapping[str, tuple[int, int]]]] | None = None,
    ) -> None:
        self._maps = None if build is not None else (values or {}, keys or {})
        self._build = build

    def _positions(self) -> tuple[Mapping[str, tuple[int, int]], Mapping[str, tuple[int, int]]]:
        if self._maps is None:
            assert self._build is not None
            self._maps, self._build = self._build(), None
        return self._maps

    @property
    def values(self) -> Mapping[str, tuple[int, int]]:
        return self._positions()[0]

    @property
    def keys(self) -> Mapping[str, tuple[int, int]]:
        return self._positions()[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SourceMap) and self._positions() == other._positions()

    __hash__ = None  # type: ignore[assignment]  # mutable in effect, like the dataclass it replaced (eq without frozen hash)

    def __repr__(self) -> str:
        return f"SourceMap({len(self.values)} values, {len(self.keys)} keys)"

    def locate(self, pointer: str, *, key: bool = False) -> tuple[int, int]:
        """Position of `pointer`, or of its nearest ancestor present in the map."""
        values, keys = self._positions()
        if key and pointer in keys:
            return keys[pointer]
        probe = pointer
        while probe not in values:
            if not probe:
                return (1, 1)
            probe = parent_pointer(probe)
        if probe != pointer and probe in keys:
            return keys[probe]
        return values[probe]
