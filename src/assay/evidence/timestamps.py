"""RFC 3339 timestamps as evidence writes and reads them: UTC, whole seconds, a `Z` suffix."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# RFC 3339 `date-time`: a full date, a time and an explicit offset (`Z` or ±hh:mm).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def format_timestamp(moment: datetime) -> str:
    """`2026-11-29T06:00:00Z`: the moment in UTC, to the second. A naive datetime is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamp {moment.isoformat()} has no time zone")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 date-time with an offset, as an aware datetime; anything else raises ValueError."""
    if not _RFC3339.match(text):
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp with a time zone (e.g. 2026-01-31T00:00:00Z)")
    return datetime.fromisoformat(text.upper().replace(" ", "T"))


def require_aware(moment: datetime, what: str) -> datetime:
    """The moment itself, or ValueError when it carries no time zone (comparing those is a bug)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone")
    return moment
