"""The trust root: examples against schemas/trust.schema.json, parsing, and judging a key for a record."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from securesystemslib.signer import CryptoSigner

from assay.evidence import (
    TrustedKey,
    TrustRootError,
    approval_statement,
    check_key,
    generate_keypair,
    parse_trust_root,
    read_record_header,
    record_is_after_revocation,
    sign_statement,
    verify_envelope,
)
from support import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "trust"
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
SCHEMA = json.loads((REPO_ROOT / "schemas" / "trust.schema.json").read_text())
START = datetime(2026, 1, 1, tzinfo=UTC)


def _expected_pointer(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# error: "), path
    return first.removeprefix("# error: ")


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_examples_pass_the_schema_and_parse(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(data)
    root = parse_trust_root(data)
    assert len(root.keys) == len(data["keys"])


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_examples_fail_the_schema_and_parsing_at_their_pointer(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    pointer = _expected_pointer(path)
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))
    paths = ["".join(f"/{part}" for part in error.absolute_path) for error in errors]
    assert errors and any(pointer.startswith(found) for found in paths), (paths, [e.message for e in errors])
    with pytest.raises(TrustRootError, match=f"^{pointer}:"):
        parse_trust_root(data)


def test_generated_entries_validate_and_parse() -> None:
    runner = generate_keypair("runner", "ci@bank.example", not_before=START, not_after=START + timedelta(days=365), comment="ci")
    validator = generate_keypair("validator", "val@bank.example", not_before=START, not_after=START + timedelta(days=90))
    data = {"apiVersion": "assay/v1", "kind": "TrustRoot", "keys": [runner.trust_entry, validator.trust_entry]}
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    root = parse_trust_root(data)
    key = root.key_for(runner.public_key.keyid)
    assert key is not None and key.role == "runner" and key.principal == "ci@bank.example" and key.comment == "ci"
    assert key.sslib_key() == runner.public_key
    assert root.key_for("0" * 64) is None


def test_bank_example_judged_end_to_end() -> None:
    root = parse_trust_root(yaml.safe_load((FIXTURES / "valid" / "bank.yaml").read_text()))
    old = root.key_for("93735d29c8d1596cbcebfb48580f7d6a4c8324cf6c07b1b40710890c112504ee")
    assert old is not None
    assert check_key(old, role="runner", at=datetime(2026, 4, 15, 11, 59, 59, tzinfo=UTC)) == ""
    assert "revoked at 2026-04-15T12:00:00Z" in check_key(old, role="runner", at=datetime(2026, 4, 15, 12, tzinfo=UTC))
    validator = root.key_for("37ceb6b1415edf0dea5fcbe334d7f4eaddc3f97a17dc412b286cadab04ae75ce")
    assert validator is not None
    assert validator.not_before == datetime(2026, 3, 1, 14, tzinfo=UTC)  # offsets are honoured
    assert "not valid before 2026-03-01T14:00:00Z" in check_key(validator, role="validator", at=datetime(2026, 3, 1, 13, tzinfo=UTC))


def _key(**change: Any) -> TrustedKey:
    values: dict[str, Any] = {
        "keyid": "ab" * 32,
        "public": "cd" * 32,
        "role": "runner",
        "principal": "ci@bank.example",
        "not_before": START,
        "not_after": START + timedelta(days=365),
        "revoked_at": None,
    }
    values.update(change)
    return TrustedKey(**values)


@pytest.mark.parametrize(
    ("key", "role", "at", "reason"),
    [
        (_key(), "runner", START, ""),
        (_key(), "runner", START + timedelta(days=365), ""),
        (_key(), "runner", START - timedelta(seconds=1), "is not valid before 2026-01-01T00:00:00Z"),
        (_key(), "runner", START + timedelta(days=365, seconds=1), "expired at 2027-01-01T00:00:00Z"),
        (_key(revoked_at=START + timedelta(days=10)), "runner", START + timedelta(days=10), "was revoked at 2026-01-11T00:00:00Z"),
        (_key(revoked_at=START + timedelta(days=10)), "runner", START + timedelta(days=9), ""),
        (_key(role="validator"), "runner", START, "has role validator, not runner"),
    ],
    ids=["valid", "last-second", "not-yet-valid", "expired", "revoked", "before-revocation", "wrong-role"],
)
def test_check_key(key: TrustedKey, role: str, at: datetime, reason: str) -> None:
    found = check_key(key, role=role, at=at)
    assert (reason in found) if reason else found == ""
    if reason:
        assert found.startswith("key abababababab… (ci@bank.example) ")


def test_check_key_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="time zone"):
        check_key(_key(), role="runner", at=datetime(2026, 5, 1))


def _entry(**change: Any) -> dict[str, Any]:
    entry = dict(generate_keypair("runner", "ci@bank.example", not_before=START, not_after=START + timedelta(days=30)).trust_entry)
    entry.update(change)
    return entry


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (lambda: [_entry(keyid="0" * 64)], "^/keys/0/keyid: does not match the public key"),
        (lambda: [_entry(notAfter="2025-01-01T00:00:00Z")], "^/keys/0/notAfter: must be later than notBefore"),
        (lambda: [_entry(revokedAt="soon")], "^/keys/0/revokedAt: 'soon' is not an RFC 3339"),
        (lambda: [_entry(notBefore=datetime(2026, 1, 1))], "^/keys/0/notBefore: needs a time zone"),
        (lambda: [entry := _entry(), dict(entry)], "^/keys/1/keyid: .* appears twice"),
    ],
    ids=["keyid-mismatch", "window-reversed", "bad-revocation", "naive-yaml-datetime", "duplicate"],
)
def test_parse_refuses_what_the_schema_cannot_see(entries: Any, message: str) -> None:
    with pytest.raises(TrustRootError, match=message):
        parse_trust_root({"apiVersion": "assay/v1", "kind": "TrustRoot", "keys": entries()})


def test_a_yaml_datetime_with_a_zone_is_accepted() -> None:
    root = parse_trust_root({"apiVersion": "assay/v1", "kind": "TrustRoot", "keys": [_entry(notBefore=START)]})
    assert root.keys[0].not_before == START


def test_verify_then_judge_the_signing_key() -> None:
    """The order assay verify follows: signature against the trust root, then the key for the record's signed time."""
    validator = generate_keypair("validator", "val@bank.example", not_before=START, not_after=START + timedelta(days=90))
    runner = generate_keypair("runner", "ci@bank.example", not_before=START, not_after=START + timedelta(days=90))
    root = parse_trust_root({"apiVersion": "assay/v1", "kind": "TrustRoot", "keys": [validator.trust_entry, runner.trust_entry]})
    statement = approval_statement(model="m", plan_digest="e" * 64, environment="production", approver="ci@bank.example", issued_at=START)
    signer = CryptoSigner(_private(runner.private_pem), runner.public_key)
    verified, keyid = verify_envelope(sign_statement(statement, signer), root.verification_keys())
    key = root.key_for(keyid)
    assert key is not None
    assert check_key(key, role="validator", at=read_record_header(verified).issued_at).endswith("has role runner, not validator")


def _private(pem: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem, None)


def test_record_after_revocation_by_position_on_the_trusted_chain() -> None:
    chain = ["c1", "c2", "c3", "c4"]
    assert record_is_after_revocation(record_entry="c4", revocation_entry="c2", first_parent_chain=chain)
    assert record_is_after_revocation(record_entry="c2", revocation_entry="c2", first_parent_chain=chain)
    assert not record_is_after_revocation(record_entry="c1", revocation_entry="c2", first_parent_chain=chain)
    with pytest.raises(ValueError, match="first-parent chain"):
        record_is_after_revocation(record_entry="x", revocation_entry="c2", first_parent_chain=chain)
