"""The result of a check: every file looked at and every diagnostic found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assay.diagnostics import Diagnostic, Severity, exit_code_for


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
