"""The diagnostic value type and the rule that turns diagnostics into an exit code."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """How bad a finding is. Only ERROR fails a check."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Location:
    """Where a diagnostic points: a repository-relative path and a 1-based line and column.

    Line and column are None when the problem concerns the whole file (for example,
    a file that is not valid UTF-8 before its first line can be found).
    """

    path: str
    line: int | None = None
    column: int | None = None
    pointer: str = ""


@dataclass(frozen=True)
class RuleInfo:
    """Metadata of the policy rule behind a finding, carried to SARIF and JSON."""

    id: str
    title: str
    references: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class WaiverStatus:
    """Whether a waiver covered the finding, and if not why it did not apply."""

    applied: bool
    ticket: str
    reason: str
    expires: str
    approver: str
    rejected_because: str = ""


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in one file."""

    code: str
    severity: Severity
    message: str
    location: Location
    hint: str = ""
    rule: RuleInfo | None = None
    waiver: WaiverStatus | None = None
    related: tuple[Location, ...] = field(default=())

    @property
    def waived(self) -> bool:
        return self.waiver is not None and self.waiver.applied

    @property
    def blocking(self) -> bool:
        """True when this finding fails the check: an error that no valid waiver covers."""
        return self.severity is Severity.ERROR and not self.waived


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str, str]:
    """Order diagnostics by file, position, code and message, so output is deterministic."""
    loc = diagnostic.location
    return (loc.path, loc.line or 0, loc.column or 0, diagnostic.code, diagnostic.message)


def exit_code_for(diagnostics: Iterable[Diagnostic]) -> int:
    """0 when nothing blocks, 1 when any unwaived error remains."""
    return 1 if any(d.blocking for d in diagnostics) else 0
