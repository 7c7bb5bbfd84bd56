"""The audit's values: what git and the evidence say happened to a model, and the timeline made of it.

Everything here is a frozen value; `Entry.data` and `InventoryRow` hold plain JSON
data, so every output format (text, Markdown, JSON, HTML) renders the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assay.load.git_history import CommitInfo

VERIFIED, FAILED, UNSIGNED, NOT_COMMITTED = "verified", "failed", "unsigned", "not committed"


@dataclass(frozen=True)
class FieldChange:
    """One difference between a spec's plan before and after a commit."""

    kind: str
    pointer: str
    area: str
    material: bool
    before: Any
    after: Any


@dataclass(frozen=True)
class PolicyFinding:
    code: str
    severity: str
    message: str
    line: int | None
    waived: bool


@dataclass(frozen=True)
class PolicyVerdict:
    """The policies in force at a commit, judging the spec at that commit."""

    policy_digest: str
    as_of: str
    errors: int
    warnings: int
    waived: int
    findings: tuple[PolicyFinding, ...]
    valid: bool = True

    @property
    def outcome(self) -> str:
        if not self.valid:
            return "invalid spec"
        return "fail" if self.errors else "pass with warnings" if self.warnings else "pass"


@dataclass(frozen=True)
class SpecChange:
    """A commit that changed the model's spec."""

    commit: CommitInfo
    path: str
    status: str
    version: str | None
    plan_digest: str | None
    material: bool
    changes: tuple[FieldChange, ...]
    verdict: PolicyVerdict | None


@dataclass(frozen=True)
class RecordEvidence:
    """One evidence record file: what git, the verifier and the record itself say."""

    path: str
    sequence: int
    kind: str
    present: bool
    verified: bool
    reasons: tuple[str, ...]
    statement: Mapping[str, Any] | None
    principal: str | None
    added: CommitInfo | None
    rewrites: tuple[tuple[str, CommitInfo], ...] = ()
    reports: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutOfBandEdit:
    """A commit that changed evidence or deployed manifests without adding a record."""

    commit: CommitInfo
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One event of the timeline."""

    kind: str
    when: str
    commit: CommitInfo | None
    title: str
    status: str
    reasons: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InventoryRow:
    """A model's inventory record (SR 26-2): who, what for, how risky, when reviewed, what is open."""

    model: str
    title: str
    version: str
    purpose: str
    use: str
    products: tuple[str, ...]
    tier: int
    status: str
    owner: str
    developers: tuple[str, ...]
    validators: tuple[str, ...]
    last_validated: str | None
    next_review_due: str | None
    review_interval_days: int
    open_errors: int
    open_warnings: int
    waivers: tuple[str, ...]
    upstream: tuple[str, ...]
    description: str = ""

    @property
    def open_findings(self) -> int:
        return self.open_errors + self.open_warnings


@dataclass(frozen=True)
class Timeline:
    """A model's audit: the inventory record, every event in order, and what failed verification."""

    model: str
    spec_path: str
    as_of: str
    since: str | None
    until: str | None
    entries: tuple[Entry, ...]
    unattached: tuple[tuple[str, str], ...]
    inventory: InventoryRow | None = None
    limits: Mapping[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> tuple[Entry, ...]:
        return tuple(entry for entry in self.entries if entry.status == FAILED)

    @property
    def verified(self) -> bool:
        return not self.failed and not self.unattached
