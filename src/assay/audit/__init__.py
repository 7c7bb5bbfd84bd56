"""The auditor's view: a model's timeline from git history, the model inventory, and their reports.

Takes a repository (its git history, working tree and evidence) and gives typed
values: `collect_timeline` reads git at the edge (one `git log`, one `git cat-file
--batch`) and `build_timeline` assembles the Timeline purely; `render` and `html`
turn it into text, Markdown, JSON or a self-contained HTML report with charts;
`inventory` makes the SR 26-2 inventory rows.
"""

import importlib
from typing import Any

# Imported on first use: the inventory needs neither the differ (deepdiff, which imports pandas) nor Jinja2.
_EXPORTS = {
    "AuditRequest": "assay.audit.collect",
    "NoSuchModel": "assay.audit.collect",
    "collect_timeline": "assay.audit.collect",
    "inventory_rows": "assay.audit.collect",
    "spec_path_of": "assay.audit.collect",
    "Links": "assay.audit.html",
    "timeline_html": "assay.audit.html",
    "INVENTORY_FORMATS": "assay.audit.inventory",
    "inventory_row": "assay.audit.inventory",
    "review_days": "assay.audit.inventory",
    "Entry": "assay.audit.model",
    "InventoryRow": "assay.audit.model",
    "Timeline": "assay.audit.model",
    "FORMATS": "assay.audit.render",
    "build_timeline": "assay.audit.timeline",
}
__all__ = [
    "FORMATS",
    "INVENTORY_FORMATS",
    "AuditRequest",
    "Entry",
    "InventoryRow",
    "Links",
    "NoSuchModel",
    "Timeline",
    "build_timeline",
    "collect_timeline",
    "inventory_row",
    "inventory_rows",
    "review_days",
    "spec_path_of",
    "timeline_html",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assay.audit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
