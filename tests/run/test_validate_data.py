"""Data validation: each finding on a small frame built to raise it, and a clean frame raising none."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from assay.run.data import parse_table
from assay.run.validate_data import validate_frame

SPEC: dict[str, Any] = {
    "data": {
        "train": {"rows": 6},
        "features": [
            {"name": "income", "type": "numeric", "range": {"min": 0, "max": 5000}},
            {"name": "region", "type": "categorical", "categories": ["north", "south"]},
            {"name": "channel", "type": "categorical"},
        ],
        "target": {"name": "default", "positiveClass": 1},
        "protectedAttributes": [{"name": "sex", "column": "sex", "reference": "M", "groups": ["F"]}],
        "timeColumn": "month",
    }
}
CLEAN = (
    b"income,region,channel,default,sex,month\n"
    b"1200,north,web,0,M,2024-01\n1300,south,branch,1,F,2024-01\n,north,web,0,F,2024-02\n"
    b"2500,,web,1,M,2024-02\n900,south,phone,0,M,2024-03\n4000,north,web,1,F,2024-03\n"
)


def findings(content: bytes, spec: dict[str, Any] = SPEC) -> dict[str, dict[str, Any]]:
    frame = parse_table(content, "csv", ["region", "channel", "sex"], ["income"])
    report = validate_frame(frame, spec, "train")
    assert report["passed"] == all(f["severity"] != "error" for f in report["findings"])
    return {f["code"]: f for f in report["findings"]}


def test_clean_data_has_no_findings() -> None:
    assert findings(CLEAN) == {}


def test_a_missing_column_and_a_wrong_row_count_are_errors() -> None:
    content = b"\n".join(line.rsplit(b",", 1)[0] for line in CLEAN.splitlines()[:-1]) + b"\n"
    found = findings(content)
    assert found["D001"]["column"] == "month" and found["D001"]["severity"] == "error"
    assert found["D002"]["message"] == "5 rows, the spec declares 6"


def test_a_missing_target_and_a_target_without_two_classes_are_errors() -> None:
    found = findings(CLEAN.replace(b",1,F,2024-01", b",,F,2024-01"))
    assert found["D003"] == {
        "severity": "error",
        "code": "D003",
        "column": "default",
        "message": "target 'default' is missing in 1 rows",
        "count": 1,
    }
    found = findings(CLEAN.replace(b",1,", b",0,"))
    assert found["D004"]["message"] == "target 'default' has 1 distinct values; a binary target has 2"


def test_a_numeric_feature_holding_text_is_an_error() -> None:
    found = findings(CLEAN.replace(b"900,south", b"nine hundred,south"))
    assert found["D005"]["severity"] == "error" and found["D005"]["column"] == "income"


def test_values_outside_the_declared_range_are_a_warning() -> None:
    found = findings(CLEAN.replace(b"4000,north", b"9000,north").replace(b"900,south", b"-5,south"))
    assert found["D006"]["severity"] == "warning" and found["D006"]["count"] == 2


def test_unseen_categories_are_counted_and_named() -> None:
    found = findings(CLEAN.replace(b"1300,south", b"1300,east").replace(b"900,south", b"900,east").replace(b"4000,north", b"4000,west"))
    assert found["D007"]["count"] == 3
    assert found["D007"]["message"] == "3 values of 'region' are unseen categories: east, west"
    assert "D007" not in findings(CLEAN.replace(b"web", b"kiosk"))  # channel declares no categories


def test_a_protected_group_without_rows_is_a_warning() -> None:
    found = findings(CLEAN.replace(b",F,", b",M,"))
    assert found["D008"]["message"] == "group 'F' of 'sex' has no rows in the train data"
    assert found["D008"]["severity"] == "warning"


def test_validation_reads_a_frame_however_it_was_built() -> None:
    frame = pd.DataFrame(
        {
            "income": [1.0, np.nan, 3.0],
            "region": ["north", None, "south"],
            "channel": ["web", "web", "web"],
            "default": [0, 1, 0],
            "sex": ["M", "F", np.nan],
            "month": ["a", "b", "c"],
        }
    )
    report = validate_frame(frame, {"data": {**SPEC["data"], "train": {}}}, "train")
    assert report == {"dataset": "train", "rows": 3, "passed": True, "findings": []}
