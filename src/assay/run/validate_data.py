"""Data validation: a dataset against the features, target and attributes the spec declares.

Returns a report of findings; an error finding stops the run before fitting.
"""

from __future__ import annotations

from typing import Any


def _finding(severity: str, code: str, column: str, message: str, count: int = 0) -> dict[str, Any]:
    return {"severity": severity, "code": code, "column": column, "message": message, "count": int(count)}


def target_vector(frame: Any, spec: dict[str, Any]) -> Any:
    """1 where the target equals the positive class, else 0 (rows with a missing target excluded upstream)."""
    import pandas as pd

    target = spec["data"]["target"]
    column = frame[target["name"]]
    positive = target["positiveClass"]
    if isinstance(positive, bool):
        # pandas reads true/True/TRUE as a bool column, whose text is "True": compare without case.
        return (column.astype("string").str.lower() == str(positive).lower()).astype(int).to_numpy()
    if not isinstance(positive, int | float):
        return (column.astype("string") == str(positive)).astype(int).to_numpy()
    if not pd.api.types.is_numeric_dtype(column):
        # A numeric class in a column read as text (another level is not a number): compare as numbers,
        # so the labels never depend on which rows a file holds (a subset may read as numbers).
        column = pd.to_numeric(column, errors="coerce")
    return (column == positive).astype(int).to_numpy()


def _required_columns(spec: dict[str, Any]) -> list[str]:
    data = spec["data"]
    columns = [f["name"] for f in data["features"]] + [data["target"]["name"]]
    columns += [a["column"] for a in data.get("protectedAttributes", [])]
    if "timeColumn" in data:
        columns.append(data["timeColumn"])
    return columns


def _feature_findings(column: Any, feature: dict[str, Any]) -> list[dict[str, Any]]:
    import pandas as pd

    name = feature["name"]
    if feature["type"] == "numeric":
        if not pd.api.types.is_numeric_dtype(column):
            return [_finding("error", "D005", name, f"numeric feature '{name}' holds non-numeric values")]
        bounds = feature.get("range", {})
        low, high = bounds.get("min", float("-inf")), bounds.get("max", float("inf"))
        outside = int(((column < low) | (column > high)).sum())
        return [_finding("warning", "D006", name, f"{outside} values of '{name}' lie outside [{low}, {high}]", outside)] if outside else []
    if "categories" not in feature:
        return []
    known = set(feature["categories"])
    unseen_levels = [v for v in column.unique() if not pd.isna(v) and v not in known]  # levels first: few, however many rows
    if not unseen_levels:
        return []
    count = int(column.isin(unseen_levels).sum())
    levels = ", ".join(sorted(str(v) for v in unseen_levels)[:5])
    return [_finding("warning", "D007", name, f"{count} values of '{name}' are unseen categories: {levels}", count)]


def validate_frame(frame: Any, spec: dict[str, Any], role: str) -> dict[str, Any]:
    """Findings for one dataset (train or outOfTime)."""
    import pandas as pd

    findings = []
    missing = [c for c in _required_columns(spec) if c not in frame.columns]
    findings += [_finding("error", "D001", c, f"column '{c}' declared in the spec is missing from the {role} data") for c in missing]
    source = spec["data"][role]
    if "rows" in source and len(frame) != source["rows"]:
        findings.append(_finding("error", "D002", "", f"{len(frame)} rows, the spec declares {source['rows']}", len(frame)))
    target = spec["data"]["target"]["name"]
    if target in frame.columns:
        absent = int(frame[target].isna().sum())
        if absent:
            findings.append(_finding("error", "D003", target, f"target '{target}' is missing in {absent} rows", absent))
        levels = frame[target].dropna().nunique()
        if levels != 2:
            findings.append(
                _finding("error", "D004", target, f"target '{target}' has {levels} distinct values; a binary target has 2", levels)
            )
    for feature in spec["data"]["features"]:
        if feature["name"] in frame.columns:
            findings += _feature_findings(frame[feature["name"]], feature)
    for attribute in spec["data"].get("protectedAttributes", []):
        column = attribute["column"]
        if column not in frame.columns:
            continue
        present = {str(v) for v in frame[column].unique() if not pd.isna(v)}
        for group in [attribute["reference"], *attribute["groups"]]:
            if group not in present:
                findings.append(
                    _finding("warning", "D008", column, f"group '{group}' of '{attribute['name']}' has no rows in the {role} data")
                )
    errors = sum(1 for f in findings if f["severity"] == "error")
    return {"dataset": role, "rows": len(frame), "passed": errors == 0, "findings": findings}
