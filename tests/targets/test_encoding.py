"""The escaping filters: any string reads back as itself under YAML 1.1 (PyYAML) and YAML 1.2
(ruamel.yaml), and as JSON."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import yaml

from assay.targets.encoding import Encoded, tojson, toyaml

TRICKY = [
    "yes", "No", "on", "OFF", "y", "~", "null", "", " lead", "trail ", "0o17", "0x1F", "1e3", "1234567890e12345",
    "012", "1_000", "1.0", ".inf", "-.5", "+1", "2026-01-01", "12:30:00", "a: b", "- x", "#c", "x #c", "{x}", "[x]",
    "{{ x }}", "${{inputs.x}}", "@at", "`tick", "%pct", "!tag", "&a", "*a", "|", ">", "'", '"', "=", "<<", "?", "\\",
    "multi\nline", "multi\nline\n", "\n\nlead", "trailing space \nx", "\ttab\n", "a\r\nb", "\u2028", "é ✓", "\x85", "\x00",
    '<script>alert("x")</script>',
]  # fmt: skip


def read_yaml_12(text: str) -> Any:
    ruamel = pytest.importorskip("ruamel.yaml")
    return ruamel.YAML(typ="safe", pure=True).load(io.StringIO(text))


@pytest.mark.parametrize("value", TRICKY, ids=[repr(value) for value in TRICKY])
def test_any_string_reads_back_as_itself(value: str) -> None:
    document = {"key": value, "list": [value], "nested": {value or "empty": value}}
    text = "root:\n" + toyaml(document, 2) + "\n"
    assert yaml.safe_load(text) == {"root": document}
    assert read_yaml_12(text) == {"root": document}
    assert json.loads(tojson(document, 2, 4)) == document


def test_filters_return_encoded_text_without_a_trailing_newline() -> None:
    assert isinstance(toyaml({"a": 1}), Encoded) and isinstance(tojson([1]), Encoded)
    assert toyaml({"a": [1, 2]}, 2) == "  a:\n  - 1\n  - 2"
    assert tojson({"a": [1]}, 2, 2) == '{\n    "a": [\n      1\n    ]\n  }'


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        tojson(float("nan"))
