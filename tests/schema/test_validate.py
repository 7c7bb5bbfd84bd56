"""Schema diagnostics: codes, positions, best branch of a oneOf, and 'did you mean'."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.diagnostics import Diagnostic
from assay.load import SourceFile, parse_document
from assay.schema import build_schema_set, bundled_schema_files, validate_document

EXAMPLE = Path(__file__).resolve().parents[2] / "models" / "consumer-credit-pd" / "model.yaml"


@pytest.fixture(scope="module")
def validator():  # type: ignore[no-untyped-def]
    return build_schema_set(bundled_schema_files()).validator("model")


def check(text: str, validator) -> list[Diagnostic]:  # type: ignore[no-untyped-def]
    document, problems = parse_document(SourceFile("models/m/model.yaml", text.encode()))
    assert document is not None, problems
    return validate_document(document, validator)


def broken(old: str, new: str) -> str:
    text = EXAMPLE.read_text()
    assert old in text
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_example_is_valid(validator) -> None:  # type: ignore[no-untyped-def]
    assert check(EXAMPLE.read_text(), validator) == []


def test_unknown_property_names_the_nearest(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("  riskTier: 1\n", "  riskTier: 1\n  materialty: high\n")
    (diagnostic,) = check(text, validator)
    assert diagnostic.code == "S003"
    assert diagnostic.hint == "did you mean 'materiality'?"
    assert (diagnostic.location.line, diagnostic.location.column) == (line_of(text, "materialty"), 3)
    assert diagnostic.location.pointer == "/metadata/materialty"


def test_wrong_type_points_at_the_value(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("riskTier: 1", 'riskTier: "1"')
    (diagnostic,) = check(text, validator)
    assert (diagnostic.code, diagnostic.location.line, diagnostic.location.column) == ("S001", line_of(text, "riskTier"), 13)
    assert "quotes" in diagnostic.hint


def test_missing_property_points_at_its_parent(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("  purpose: Decide approval", "  porpose: Decide approval")
    codes = sorted((d.code, d.location.pointer) for d in check(text, validator))
    assert codes == [("S002", "/documentation/purpose"), ("S003", "/documentation/porpose")]


def test_one_of_reports_the_intended_branch(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("          - {traffic: 10, pause: 24h}", "          - {traffic: 0, pause: 24h}")
    (diagnostic,) = check(text, validator)
    assert diagnostic.code == "S006"
    assert diagnostic.location.pointer == "/deployment/environments/1/strategy/steps/0/traffic"


def test_discriminator_typo_lists_the_choices(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("type: canary", "type: canery")
    (diagnostic,) = check(text, validator)
    assert diagnostic.code == "S004"
    assert diagnostic.hint.startswith("did you mean 'canary'?")


def test_estimator_off_the_allowlist(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("class: LogisticRegression", "class: os.system")
    (diagnostic,) = check(text, validator)
    assert diagnostic.code == "S004"
    assert diagnostic.location.pointer == "/training/estimator/class"


def test_word_boolean_where_a_string_is_expected_warns(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("    regulator: occ", "    regulator: no")
    (diagnostic,) = check(text, validator)
    assert (diagnostic.code, diagnostic.severity.value) == ("Y101", "warning")
    assert diagnostic.location.line == line_of(text, "regulator: no")


def test_word_boolean_where_a_boolean_is_expected_is_an_error(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("stratify: true", "stratify: yes")
    (diagnostic,) = check(text, validator)
    assert diagnostic.code == "S001"
    assert "write true" in diagnostic.hint


def test_every_problem_is_reported(validator) -> None:  # type: ignore[no-untyped-def]
    text = broken("riskTier: 1", "riskTier: 9").replace("useCase: credit-underwriting", "useCase: lending")
    assert sorted(d.code for d in check(text, validator)) == ["S004", "S006"]
