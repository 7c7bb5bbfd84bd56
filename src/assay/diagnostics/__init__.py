"""Diagnostics: the one result model every stage produces and every reporter reads.

A diagnostic is a value: a stable code, a severity, where it points (file, line,
column, JSON pointer), a message and a hint. Loading, schema validation and policy
evaluation all return them; the reporters (text, JSON, SARIF, GitHub) only format them.
"""

from assay.diagnostics.model import (
    Diagnostic,
    Location,
    RuleInfo,
    Severity,
    WaiverStatus,
    exit_code_for,
    sort_key,
)

__all__ = [
    "Diagnostic",
    "Location",
    "RuleInfo",
    "Severity",
    "WaiverStatus",
    "exit_code_for",
    "sort_key",
]
