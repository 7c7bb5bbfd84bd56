"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and the digests taken over it.

Most documents assay canonicalises (plans, statements) hold only strings with
ordinary keys, integers, booleans and "ordinary" floats; for those, the C `json`
encoder with sorted keys and no spaces writes exactly the RFC 8785 bytes, many
times faster than the pure-Python `rfc8785`. `_plain` admits a value only where the
two provably agree (keys below U+D800 sort the same by code point as by UTF-16
unit; floats in [1e-4, 1e16) that are not whole numbers are written positionally
with the same shortest digits by Python's repr and ECMAScript); anything else goes
to `rfc8785`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

import rfc8785

_MAX_SAFE_INTEGER = 2**53


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 serialisation: sorted keys, no spaces, ECMAScript number form, UTF-8."""
    plain = _plain(value)
    if plain is _WHOLE_FLOATS:
        value, plain = _whole_floats_as_ints(value), True
    if plain:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    return rfc8785.dumps(value)


def parse_canonical(payload: bytes) -> tuple[Any, bool]:
    """What `json.loads` reads from `payload`, and whether `payload` is exactly its RFC 8785 form.

    Raises UnicodeDecodeError or ValueError when `payload` is not UTF-8 JSON. What `json.loads`
    gives has only string keys, lists and dicts, so the C encoder's output is the canonical form
    unless a number is written differently (a whole or huge float, an exponent, an integer past
    2**53, NaN) or a key sorts differently by UTF-16 unit (characters beyond U+FFFF): the parser's
    number hooks and one byte search tell, and only then is `rfc8785` asked.
    """
    risky = False

    def number(text: str) -> float:
        nonlocal risky
        value = float(text)
        if not math.isfinite(value) or value.is_integer() or not 1e-4 <= abs(value) < 1e16:
            risky = True
        return value

    def integer(text: str) -> int:
        nonlocal risky
        if len(text) > 15:
            risky = True
        return int(text)

    def constant(text: str) -> float:
        nonlocal risky
        risky = True
        return float(text)

    value = json.loads(payload.decode("utf-8"), parse_float=number, parse_int=integer, parse_constant=constant)
    if not risky and not _BEYOND_BMP.search(payload):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return value, text.encode("utf-8") == payload
    try:
        return value, bool(rfc8785.dumps(value) == payload)
    except rfc8785.CanonicalizationError:
        return value, False


_BEYOND_BMP = re.compile(rb"[\xf0-\xf4]")  # lead bytes of 4-byte UTF-8 sequences


def canonical_digest(value: Any) -> str:
    """sha256 (hex) of the canonical bytes."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


_WHOLE_FLOATS = "whole floats"  # plain once its whole floats (1.0) are written as the integers ECMAScript writes


def _plain(value: Any) -> bool | str:
    """Whether `value` serialises the same through `json` as through RFC 8785 (or does once `_whole_floats_as_ints`)."""
    whole = False
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if abs(item) > _MAX_SAFE_INTEGER:
                return False
        elif kind is float:
            form = _float_form(item)
            if form is None:
                return False
            whole = whole or form == "whole"
        elif kind is dict:
            for key in item:
                if type(key) is not str or not (key.isascii() or max(key, default="") < "\ud800"):
                    return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        else:
            return False
    return _WHOLE_FLOATS if whole else True


def _float_form(number: float) -> str | None:
    """ "whole" (an integer below 2**53: ECMAScript writes its digits), "plain" (positional with the same
    shortest digits in both), or None (exponent forms, NaN, infinities: only rfc8785 knows)."""
    if not math.isfinite(number) or abs(number) >= _MAX_SAFE_INTEGER:
        return None
    if number.is_integer():
        return "whole"
    return "plain" if 1e-4 <= abs(number) < 1e16 else None


def _whole_floats_as_ints(value: Any) -> Any:
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is dict:
        return {key: _whole_floats_as_ints(item) for key, item in value.items()}
    if type(value) is list:
        return [_whole_floats_as_ints(item) for item in value]
    return value
