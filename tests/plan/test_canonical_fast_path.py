"""The C-encoder fast path of canonical JSON writes exactly what rfc8785 writes, and says exactly when a payload is canonical."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import rfc8785

from assay.plan.canonical import _plain, canonical_bytes, parse_canonical

EDGES: list[Any] = [
    {"b": 1, "a": [0.5, -0.25, 1e-4, 123456.789, 9.99e15]},
    {"whole": 1.0, "tiny": 1e-5, "huge": 1e16, "neg": -0.0},
    {"big": 2**53, "bigger": 2**53 + 1, "n": -(2**53)},
    {"esc": 'a"b\\c\n\t\u0001\u007f\u2028 §', "\ue000": 1, "\U0001f600": 2},
    [True, False, None, "", [], {}],
]


def _random(chance: random.Random, depth: int = 0) -> Any:
    pick = chance.random()
    if depth > 3 or pick < 0.35:
        return chance.choice(
            [
                chance.uniform(-1e6, 1e6) * 10 ** chance.randrange(-12, 12),
                chance.randrange(-(2**60), 2**60),
                float(chance.randrange(-1000, 1000)),
                chance.randrange(1000) / 8,
                "".join(chr(chance.choice([chance.randrange(32, 128), chance.randrange(0xE000, 0x10FFFF)])) for _ in range(3)),
                chance.choice([True, False, None, 'q"', "\\", "\n"]),
            ]
        )
    if pick < 0.65:
        return [_random(chance, depth + 1) for _ in range(chance.randrange(4))]
    keys = [
        "".join(chr(chance.choice([chance.randrange(32, 128), chance.randrange(0xE000, 0x10FFFF)])) for _ in range(2)) for _ in range(3)
    ]
    return {key: _random(chance, depth + 1) for key in keys}


def _rfc8785(value: Any) -> bytes | None:
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        return None


@pytest.mark.parametrize("value", EDGES)
def test_edges_agree_with_rfc8785(value: Any) -> None:
    expected = _rfc8785(value)
    if expected is None:
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical_bytes(value)
    else:
        assert canonical_bytes(value) == expected


def test_random_documents_agree_with_rfc8785_and_most_take_the_fast_path() -> None:
    chance = random.Random(8785)
    fast = checked = 0
    for _ in range(20_000):
        value = _random(chance)
        expected = _rfc8785(value)
        if expected is None:
            continue
        assert canonical_bytes(value) == expected, value
        checked += 1
        fast += _plain(value) is not False
        for payload in (expected, json.dumps(value).encode(), json.dumps(value, sort_keys=True, separators=(",", ":")).encode()):
            parsed = json.loads(payload)
            assert parse_canonical(payload)[1] == (_rfc8785(parsed) == payload), payload
    assert checked > 10_000 and fast > checked // 4


def test_non_canonical_payloads_are_refused() -> None:
    assert parse_canonical(b'{"a":1,"b":0.5}')[1]
    for payload in (b'{"b":1,"a":2}', b'{"a": 1}', b'{"a":1.0}', b'{"a":1e3}', b'{"a":0.50}', b'{"a":NaN}', b'{"a":1,"a":1}'):
        assert not parse_canonical(payload)[1], payload
