"""The model inventory (SR 26-2): one row per model from its spec and today's policy verdict. Pure.

The next review is due the tier's review interval after the last validation: the
interval comes from REV-01's `reviewDays` parameter as the repository configures
it, else 12, 18, 24 and 36 months for tiers 1 to 4.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from assay.audit.model import InventoryRow
from assay.policy import PolicySet, Waiver

DEFAULT_REVIEW_DAYS = {1: 365, 2: 548, 3: 730, 4: 1095}
REVIEW_RULE = "REV-01"


def review_days(policies: PolicySet) -> dict[int, int]:
    """Tier -> longest interval between validations, from REV-01's parameters when the policies have it."""
    days = dict(DEFAULT_REVIEW_DAYS)
    rule = next((r for r in policies.rules if r.id == REVIEW_RULE), None)
    configured = rule.parameters.get("reviewDays") if rule is not None else None
    if isinstance(configured, Mapping):
        for tier, value in configured.items():
            if str(tier).isdigit() and isinstance(value, int):
                days[int(tier)] = value
    return days


def inventory_row(
    spec: Mapping[str, Any], *, errors: int, warnings: int, waivers: Sequence[Waiver], review: Mapping[int, int]
) -> InventoryRow:
    """The inventory record of one schema-valid spec."""
    metadata = spec["metadata"]
    documentation = spec.get("documentation", {})
    tier = int(metadata["riskTier"])
    interval = review.get(tier, DEFAULT_REVIEW_DAYS.get(tier, 365))
    last = metadata.get("lastValidated")
    due = (datetime.date.fromisoformat(last) + datetime.timedelta(days=interval)).isoformat() if last else None
    return InventoryRow(
        model=metadata["name"],
        title=metadata.get("title", ""),
        version=metadata.get("version", ""),
        purpose=documentation.get("purpose", ""),
        use=metadata.get("useCase", ""),
        products=tuple(metadata.get("products", ())),
        tier=tier,
        status=metadata.get("status", ""),
        owner=_person(metadata.get("owner", {})),
        developers=tuple(_person(p) for p in metadata.get("developers", ())),
        validators=tuple(_person(p) for p in metadata.get("validators", ())),
        last_validated=last,
        next_review_due=due,
        review_interval_days=interval,
        open_errors=errors,
        open_warnings=warnings,
        waivers=tuple(f"{w.rule} until {w.expires} ({w.ticket or 'no ticket'})" for w in waivers if w.model == metadata["name"]),
        upstream=tuple(metadata.get("upstreamModels", ())),
        description=metadata.get("description", ""),
    )


def _person(person: Mapping[str, Any]) -> str:
    name, email = person.get("name", ""), person.get("email", "")
    return f"{name} <{email}>" if name and email else name or email


COLUMNS = (
    ("model", "model"),
    ("title", "title"),
    ("version", "version"),
    ("purpose", "purpose"),
    ("use", "use"),
    ("products", "products"),
    ("tier", "tier"),
    ("status", "status"),
    ("owner", "owner"),
    ("developers", "developers"),
    ("validators", "validators"),
    ("lastValidated", "last_validated"),
    ("nextReviewDue", "next_review_due"),
    ("openFindings", "open_findings"),
    ("waivers", "waivers"),
    ("upstreamModels", "upstream"),
)


def row_data(row: InventoryRow) -> dict[str, Any]:
    data = {name: getattr(row, attribute) for name, attribute in COLUMNS}
    data.update(
        {name: list(value) for name, value in data.items() if isinstance(value, tuple)},
        openErrors=row.open_errors,
        openWarnings=row.open_warnings,
        reviewIntervalDays=row.review_interval_days,
    )
    return data


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def inventory_csv(rows: Sequence[InventoryRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in COLUMNS])
    for row in rows:
        writer.writerow([_cell(getattr(row, attribute)) for _, attribute in COLUMNS])
    return out.getvalue()


def inventory_json(rows: Sequence[InventoryRow]) -> str:
    return json.dumps({"models": [row_data(row) for row in rows]}, indent=2, sort_keys=True) + "\n"


def inventory_markdown(rows: Sequence[InventoryRow]) -> str:
    lines = ["| " + " | ".join(name for name, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = [_cell(getattr(row, attribute)).replace("|", "\\|").replace("\n", " ") for _, attribute in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


INVENTORY_FORMATS: dict[str, Callable[[Sequence[InventoryRow]], str]] = {
    "csv": inventory_csv,
    "json": inventory_json,
    "markdown": inventory_markdown,
}
