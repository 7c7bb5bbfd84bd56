"""The result of a check: every file looked at and every diagnostic found."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from assay.diagnostics import Diagnostic, Severity, exit_code_for


class SourceBytes(Mapping[str, bytes]):
    """The bytes of files by path: those this run read, and the others read on first use.

    A result served from the cache never read its files; only the text report, which
    quotes the lines it points at, asks for them. A file that cannot be read any more
    is simply absent (no excerpt).
    """

    def __init__(self, paths: Collection[str], known: Mapping[str, bytes], read: Callable[[str], bytes | None]) -> None:
        self._paths = frozenset(paths)
        self._known = {path: content for path, content in known.items() if path in self._paths}
        self._read = read

    def restrict(self, paths: Collection[str]) -> SourceBytes:
        return SourceBytes(self._paths & frozenset(paths), self._known, self._read)

    def __getitem__(self, path: str) -> bytes:
        if path not in self._paths:
            raise KeyError(path)
        if path not in self._known:
            content = self._read(path)
            if content is None:
                raise KeyError(path)
            self._known[path] = content
        return self._known[path]

    def __iter__(self) -> Iterator[str]:
        return iter([path for path in sorted(self._paths) if self.get(path) is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class FileOutcome:
    """What checking one file found, and what the run needs to finish with it.

    `parsed` says whether the file became a document (its bytes then back excerpts in
    the text report); `model` is the metadata.name the policies judged it as, with the
    indexes of the waivers its findings used (for unused-waiver notes, which depend on
    every file together); `evidence_model` names the model whose evidence records its
    rules read, when they read any.
    """

    path: str
    diagnostics: tuple[Diagnostic, ...]
    parsed: bool = True
    model: str | None = None
    used_waivers: tuple[int, ...] = ()
    evidence_model: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """Files checked (sorted), diagnostics (sorted), and the source bytes of files with findings.

    `impact` is set when the working tree proposes policies that differ from the
    trusted ref's: the models whose verdict the proposal would change (VerdictChange).
    """

    files: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    sources: Mapping[str, bytes] = field(default_factory=dict)
    impact: tuple[Any, ...] | None = None
    trusted_ref: str | None = None

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.diagnostics)

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity and not d.waived)

    @property
    def waived_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.waived)
