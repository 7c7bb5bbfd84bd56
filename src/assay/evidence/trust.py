"""The trust root (`keys/trust.yaml`): which public keys may sign which records, and when.

`parse_trust_root` turns the file's data (read from the trusted ref, like policies)
into frozen values; `check_key` judges one key for one record. Times compared here are
the records' signed `issuedAt`; see docs/decisions/0005-evidence-format.md for why that
alone cannot stop a holder of a revoked key, and `record_is_after_revocation` for the
rule that does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from assay.evidence.errors import TrustRootError
from assay.evidence.timestamps import format_timestamp, parse_timestamp, require_aware

if TYPE_CHECKING:
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

TRUST_ROOT_PATH = "keys/trust.yaml"
TRUST_API_VERSION = "assay/v1"
TRUST_KIND = "TrustRoot"
ROLES = ("runner", "validator", "owner", "risk-officer")
KEY_TYPE = "ed25519"

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
PRINCIPAL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class TrustedKey:
    """One public key of the trust root, with its role, holder and validity."""

    keyid: str
    public: str
    role: str
    principal: str
    not_before: datetime
    not_after: datetime
    revoked_at: datetime | None = None
    comment: str = ""

    def sslib_key(self) -> SSlibKey:
        """The key as securesystemslib verifies with it (imported here: its signers pull in cloud SDKs)."""
        from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

        return SSlibKey(self.keyid, KEY_TYPE, KEY_TYPE, {"public": self.public})


@dataclass(frozen=True)
class TrustRoot:
    """Every key the bank trusts or once trusted (retired keys stay, so old records still verify)."""

    keys: tuple[TrustedKey, ...]

    def key_for(self, keyid: str) -> TrustedKey | None:
        """The key with this id, or None when the trust root does not know it."""
        return next((key for key in self.keys if key.keyid == keyid), None)

    def verification_keys(self) -> dict[str, SSlibKey]:
        """keyid -> securesystemslib key, for `verify_envelope`."""
        return {key.keyid: key.sslib_key() for key in self.keys}


def parse_trust_root(data: Mapping[str, Any]) -> TrustRoot:
    """A TrustRoot from the loaded YAML; TrustRootError names the first problem's JSON pointer.

    Beyond the schema, each keyid must be the securesystemslib keyid of its public key
    (sha256 of the key's canonical JSON), keyids must be unique, and notBefore < notAfter.
    """
    if not isinstance(data, Mapping):
        raise TrustRootError("/: the trust root is not a mapping")
    for field, expected in (("apiVersion", TRUST_API_VERSION), ("kind", TRUST_KIND)):
        if data.get(field) != expected:
            raise TrustRootError(f"/{field}: must be {expected}, not {data.get(field)!r}")
    entries = data.get("keys")
    if not isinstance(entries, list):
        raise TrustRootError("/keys: must be a list")
    keys: list[TrustedKey] = []
    for index, entry in enumerate(entries):
        key = _parse_key(entry, f"/keys/{index}")
        if any(known.keyid == key.keyid for known in keys):
            raise TrustRootError(f"/keys/{index}/keyid: {key.keyid} appears twice")
        keys.append(key)
    return TrustRoot(tuple(keys))


def check_key(key: TrustedKey, *, role: str, at: datetime) -> str:
    """The empty string when `key` may sign a record of `role` issued at `at`, else the reason it may not."""
    require_aware(at, "the record's time")
    name = f"key {key.keyid[:12]}… ({key.principal})"
    if key.role != role:
        return f"{name} has role {key.role}, not {role}"
    if key.revoked_at is not None and at >= key.revoked_at:
        return f"{name} was revoked at {format_timestamp(key.revoked_at)}, before this record ({format_timestamp(at)})"
    if at < key.not_before:
        return f"{name} is not valid before {format_timestamp(key.not_before)} (record issued {format_timestamp(at)})"
    if at > key.not_after:
        return f"{name} expired at {format_timestamp(key.not_after)} (record issued {format_timestamp(at)})"
    return ""


def record_is_after_revocation(*, record_entry: str, revocation_entry: str, first_parent_chain: Sequence[str]) -> bool:
    """Whether a record entered the trusted history no earlier than its key's revocation did.

    `first_parent_chain` is the trusted ref's first-parent history, oldest first; an
    entry is the commit of that chain at which a file (the record, or the trust root
    with the revocation) first became reachable. Git's ancestry, unlike its dates, is
    not chosen by the signer. A record entering with the revocation itself counts as
    after it.
    """
    try:
        return first_parent_chain.index(record_entry) >= first_parent_chain.index(revocation_entry)
    except ValueError:
        raise ValueError("both entries must be commits on the trusted ref's first-parent chain") from None


def _parse_key(entry: Any, pointer: str) -> TrustedKey:
    if not isinstance(entry, Mapping):
        raise TrustRootError(f"{pointer}: must be a mapping")
    unknown = sorted(set(entry) - _KEY_FIELDS)
    if unknown:
        raise TrustRootError(f"{pointer}/{unknown[0]}: unknown field")
    for field in ("keytype", "scheme"):
        if entry.get(field) != KEY_TYPE:
            raise TrustRootError(f"{pointer}/{field}: must be {KEY_TYPE}")
    keyid = _text(entry, "keyid", pointer, _HEX64, "64 lowercase hex digits")
    public = _text(entry, "public", pointer, _HEX64, "the Ed25519 public key as 64 lowercase hex digits")
    role = _text(entry, "role", pointer)
    if role not in ROLES:
        raise TrustRootError(f"{pointer}/role: {role!r} is not one of {', '.join(ROLES)}")
    try:
        expected = ed25519_keyid(public)
    except TrustRootError as error:
        raise TrustRootError(f"{pointer}/public: {error}") from None
    if expected != keyid:
        raise TrustRootError(f"{pointer}/keyid: does not match the public key (expected {expected})")
    not_before = _time(entry, "notBefore", pointer)
    not_after = _time(entry, "notAfter", pointer)
    if not_after <= not_before:
        raise TrustRootError(f"{pointer}/notAfter: must be later than notBefore")
    revoked_at = _time(entry, "revokedAt", pointer) if entry.get("revokedAt") is not None else None
    comment = entry.get("comment", "")
    if not isinstance(comment, str):
        raise TrustRootError(f"{pointer}/comment: must be a string")
    principal = _text(entry, "principal", pointer, PRINCIPAL_PATTERN, "an email address")
    return TrustedKey(keyid, public, role, principal, not_before, not_after, revoked_at, comment)


_KEY_FIELDS = frozenset({"keyid", "keytype", "scheme", "public", "role", "principal", "notBefore", "notAfter", "revokedAt", "comment"})


def _text(entry: Mapping[str, Any], field: str, pointer: str, pattern: re.Pattern[str] | None = None, shape: str = "") -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value:
        raise TrustRootError(f"{pointer}/{field}: required string")
    if pattern is not None and not pattern.match(value):
        raise TrustRootError(f"{pointer}/{field}: must be {shape}")
    return value


def _time(entry: Mapping[str, Any], field: str, pointer: str) -> datetime:
    value = entry.get(field)
    if isinstance(value, datetime):  # a YAML 1.1 loader may already have made one
        if value.tzinfo is None:
            raise TrustRootError(f"{pointer}/{field}: needs a time zone (end with Z)")
        return value
    if not isinstance(value, str):
        raise TrustRootError(f"{pointer}/{field}: required RFC 3339 timestamp")
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise TrustRootError(f"{pointer}/{field}: {error}") from None


def ed25519_keyid(public: str) -> str:
    """The securesystemslib keyid of an Ed25519 public key given as hex (the one a new key gets)."""
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

    try:
        return SSlibKey.from_crypto(Ed25519PublicKey.from_public_bytes(bytes.fromhex(public))).keyid
    except ValueError:
        raise TrustRootError(f"{public[:16]}… is not an Ed25519 public key") from None
