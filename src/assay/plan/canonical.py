"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and the digests taken over it."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 serialisation: sorted keys, no spaces, ECMAScript number form, UTF-8."""
    return rfc8785.dumps(value)


def canonical_digest(value: Any) -> str:
    """sha256 (hex) of the canonical bytes."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()
