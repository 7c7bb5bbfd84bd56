"""Check outcomes and diagnostics as JSON values, for the result cache.

Rule metadata and hints repeat across thousands of outcomes, so they are kept once in
shared tables (`tables()`), and each diagnostic refers to them by index. Decoding never
trusts its input: anything not exactly what `encode` writes is refused (None).
"""

from __future__ import annotations

from typing import Any

from assay.check.result import FileOutcome
from assay.diagnostics import Diagnostic, Location, RuleInfo, Severity, WaiverStatus

_SEVERITIES = {severity.value: severity for severity in Severity}


class Codec:
    """Outcomes as JSON values, with rule metadata and hints in shared tables (they repeat a lot)."""

    def __init__(self, tables: Any = None) -> None:
        """A codec with empty tables, or with `tables` (from `tables()`); TypeError or KeyError when they are not."""
        tables = tables or {"rules": [], "texts": []}
        self.rules: list[Any] = list(tables["rules"])
        self.texts: list[str] = [_text_of(text) for text in tables["texts"]]
        self._rule_ids: dict[RuleInfo, int] = {}
        self._text_ids: dict[str, int] = {text: index for index, text in enumerate(self.texts)}
        self._decoded_rules: list[RuleInfo | None] = [None] * len(self.rules)

    def tables(self) -> dict[str, Any]:
        return {"rules": self.rules, "texts": self.texts}

    def _text(self, text: str) -> int:
        index = self._text_ids.get(text)
        if index is None:
            index = self._text_ids[text] = len(self.texts)
            self.texts.append(text)
        return index

    def _rule(self, rule: RuleInfo | None) -> int:
        if rule is None:
            return -1
        index = self._rule_ids.get(rule)
        if index is None:
            index = self._rule_ids[rule] = len(self.rules)
            self.rules.append([rule.id, rule.title, list(rule.references), self._text(rule.help)])
            self._decoded_rules.append(rule)
        return index

    def encode(self, outcome: FileOutcome) -> list[Any]:
        return [
            outcome.path,
            outcome.parsed,
            outcome.model,
            list(outcome.used_waivers),
            outcome.evidence_model,
            [self._diagnostic(d, outcome.path) for d in outcome.diagnostics],
        ]

    def encode_diagnostics(self, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> list[Any]:
        """Diagnostics that belong to no one file (of the configuration, of the policies)."""
        return [self._diagnostic(d, "") for d in diagnostics]

    def decode_diagnostics(self, value: Any) -> tuple[Diagnostic, ...] | None:
        try:
            return tuple(self._decode_diagnostic(d, "") for d in value)
        except (TypeError, ValueError, IndexError, KeyError):
            return None

    def _diagnostic(self, diagnostic: Diagnostic, path: str) -> list[Any]:
        waiver = diagnostic.waiver
        return [
            diagnostic.code,
            diagnostic.severity.value,
            diagnostic.message,
            encode_location(diagnostic.location, path),
            self._text(diagnostic.hint),
            self._rule(diagnostic.rule),
            None
            if waiver is None
            else [waiver.applied, waiver.ticket, waiver.reason, waiver.expires, waiver.approver, waiver.rejected_because],
            [encode_location(related, path) for related in diagnostic.related],
        ]

    def decode(self, value: Any) -> FileOutcome | None:
        """The outcome `value` encodes, or None when it is not one (never an exception)."""
        try:
            path, parsed, model, used, evidence_model, diagnostics = value
            outcome = FileOutcome(
                _text_of(path),
                tuple([self._decode_diagnostic(d, path) for d in diagnostics]) if diagnostics else (),
                parsed=_bool_of(parsed),
                model=_optional_text(model),
                used_waivers=tuple([_int_of(i) for i in used]) if used else (),
                evidence_model=_optional_text(evidence_model),
            )
        except (TypeError, ValueError, IndexError, KeyError):
            return None
        return outcome

    def _decode_diagnostic(self, value: Any, path: str) -> Diagnostic:
        code, severity, message, location, hint, rule, waiver, related = value
        if type(code) is not str or type(message) is not str:
            raise TypeError(value)
        return Diagnostic(
            code,
            _SEVERITIES[severity],
            message,
            decode_location(location, path),
            _item(self.texts, hint),
            None if rule == -1 else self._decode_rule(rule),
            None if waiver is None else _decode_waiver(waiver),
            tuple(decode_location(r, path) for r in related) if related else (),
        )

    def _decode_rule(self, index: int) -> RuleInfo:
        decoded: RuleInfo | None = _item(self._decoded_rules, index)
        if decoded is None:
            rule_id, title, references, help_text = self.rules[index]
            decoded = RuleInfo(_text_of(rule_id), _text_of(title), tuple(_text_of(r) for r in references), _item(self.texts, help_text))
            self._decoded_rules[index] = decoded
            self._rule_ids.setdefault(decoded, index)
        return decoded


def encode_location(location: Location, path: str) -> list[Any]:
    return [None if location.path == path else location.path, location.line, location.column, location.pointer]


def decode_location(value: Any, path: str) -> Location:
    where, line, column, pointer = value
    if (
        type(pointer) is not str
        or (where is not None and type(where) is not str)
        or (line is not None and type(line) is not int)
        or (column is not None and type(column) is not int)
    ):
        raise TypeError(value)
    return Location(path if where is None else where, line, column, pointer)


def _decode_waiver(value: Any) -> WaiverStatus:
    applied, ticket, reason, expires, approver, rejected = value
    return WaiverStatus(_bool_of(applied), _text_of(ticket), _text_of(reason), _text_of(expires), _text_of(approver), _text_of(rejected))


def _item(table: list[Any], index: Any) -> Any:
    if _int_of(index) < 0:
        raise IndexError(index)
    return table[index]


def _text_of(value: Any) -> str:
    if type(value) is not str:
        raise TypeError(value)
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text_of(value)


def _int_of(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(value)
    return value


def _bool_of(value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(value)
    return value
