"""Reporters: one CheckResult in, one text format out. Picked from REPORTERS by name."""

from collections.abc import Callable

from assay.check import CheckResult
from assay.report.github import render_github
from assay.report.json_report import render_json
from assay.report.sarif import render_sarif
from assay.report.text import render_text

Reporter = Callable[..., str]

REPORTERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}

__all__ = ["REPORTERS", "CheckResult", "Reporter"]
