"""DSSE envelopes around in-toto statements: signing, and verifying with one precise reason.

The payload is always the statement's RFC 8785 canonical bytes. Verification checks the
signature before it reads the payload, and then refuses a payload that is not in
canonical form: JSON parsers disagree on duplicate keys and number forms, so bytes that
are not canonical could mean one thing to assay and another to an auditor's tool.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import rfc8785
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import UnverifiedSignatureError
from securesystemslib.signer import Key, Signature, Signer  # type: ignore[attr-defined]  # no __all__ there

from assay.evidence.errors import EnvelopeError, SignerError, StatementError
from assay.evidence.statements import STATEMENT_TYPE
from assay.plan.canonical import canonical_bytes, parse_canonical

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def sign_statement(statement: Mapping[str, Any], signer: Signer) -> dict[str, Any]:
    """The DSSE envelope (as JSON-ready dict) of the statement's canonical bytes, signed once.

    StatementError when the statement holds a value RFC 8785 cannot write (NaN,
    infinity, an integer beyond 2**53): better refused here than signed and unreadable.
    """
    if signer.public_key.keytype != "ed25519":
        raise SignerError(f"key {signer.public_key.keyid} is {signer.public_key.keytype}; assay evidence is signed with Ed25519 only")
    try:
        payload = canonical_bytes(statement)
    except rfc8785.CanonicalizationError as error:
        raise StatementError(f"the statement cannot be written as canonical JSON: {error}") from None
    envelope = Envelope(payload, PAYLOAD_TYPE, {})
    envelope.sign(signer)
    return envelope.to_dict()


def envelope_file_bytes(envelope: Mapping[str, Any]) -> bytes:
    """The bytes of an evidence file: the envelope's canonical JSON and a newline.

    One byte form per envelope (Ed25519 signatures are deterministic too), so the
    sha256 a later record names for its predecessor is reproducible.
    """
    return canonical_bytes(envelope) + b"\n"


def parse_envelope_file(content: bytes) -> dict[str, Any]:
    """The envelope in an evidence file, or EnvelopeError when the file is not a JSON object."""
    try:
        envelope = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EnvelopeError(f"not a JSON file: {error}") from None
    if not isinstance(envelope, dict):
        raise EnvelopeError("not a JSON object")
    return envelope


def verify_envelope(envelope: Mapping[str, Any], keys: Mapping[str, Key]) -> tuple[dict[str, Any], str]:
    """The statement inside `envelope` and the keyid that signed it, or EnvelopeError.

    `keys` maps keyid to public key. One valid signature by one of them suffices;
    signatures by other keys are ignored (DSSE keyids are hints, so an unknown keyid
    is not an error unless no known key signed).
    """
    payload, signatures = _decode(envelope)
    known = {keyid: sig for keyid, sig in signatures.items() if keyid in keys}
    if not known:
        names = ", ".join(sorted(signatures)) or "none"
        raise EnvelopeError(f"no signature from a known key (signed by: {names})")
    signed = Envelope(payload, PAYLOAD_TYPE, {})
    pae = signed.pae()
    keyid = _first_valid(known, keys, pae)
    return _statement(payload), keyid


def _decode(envelope: Mapping[str, Any]) -> tuple[bytes, dict[str, Signature]]:
    if not isinstance(envelope, Mapping):
        raise EnvelopeError("envelope is not a JSON object")
    payload_type = envelope.get("payloadType")
    if payload_type != PAYLOAD_TYPE:
        raise EnvelopeError(f"payloadType is {payload_type!r}, expected {PAYLOAD_TYPE!r}")
    encoded = envelope.get("payload")
    if not isinstance(encoded, str):
        raise EnvelopeError("payload is missing or not a string")
    payload = _b64decode(encoded, "payload")
    entries = envelope.get("signatures")
    if not isinstance(entries, list) or not entries:
        raise EnvelopeError("signatures is missing or empty")
    signatures: dict[str, Signature] = {}
    for index, entry in enumerate(entries):
        keyid = entry.get("keyid", "") if isinstance(entry, Mapping) else None
        sig = entry.get("sig") if isinstance(entry, Mapping) else None
        if not isinstance(keyid, str) or not isinstance(sig, str):
            raise EnvelopeError(f"signatures[{index}] needs a sig and a string keyid")
        # DSSE makes keyid optional; a signature without one matches no trusted key (nor a blank one).
        keyid = keyid or f"<signatures[{index}] has no keyid>"
        if keyid in signatures:
            raise EnvelopeError(f"two signatures claim keyid {keyid}")
        signatures[keyid] = Signature(keyid, _b64decode(sig, f"signature by {keyid}").hex())
    return payload, signatures


def _b64decode(text: str, what: str) -> bytes:
    # DSSE allows the URL-safe alphabet as well as the standard one; nothing else passes.
    for altchars in (None, b"-_"):
        try:
            return base64.b64decode(text, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
    raise EnvelopeError(f"{what} is not valid base64")


def _first_valid(known: Mapping[str, Signature], keys: Mapping[str, Key], pae: bytes) -> str:
    failures = []
    for keyid, signature in sorted(known.items()):
        if keys[keyid].keyid != keyid:
            raise EnvelopeError(f"the key given for keyid {keyid} has keyid {keys[keyid].keyid}")
        try:
            keys[keyid].verify_signature(signature, pae)
        except UnverifiedSignatureError:
            failures.append(keyid)
            continue
        return keyid
    raise EnvelopeError(f"signature by key {', '.join(failures)} is invalid: the payload or the signature was altered")


def _statement(payload: bytes) -> dict[str, Any]:
    try:
        statement, canonical = parse_canonical(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EnvelopeError("payload is signed but is not UTF-8 JSON") from None
    if not isinstance(statement, dict):
        raise EnvelopeError("payload is signed but is not a JSON object")
    if not canonical:  # NaN, Infinity, integers beyond 2**53, duplicate keys, another number form
        raise EnvelopeError("payload is signed but is not RFC 8785 canonical JSON (duplicate keys or another number form?)")
    if statement.get("_type") != STATEMENT_TYPE:
        raise EnvelopeError(f"payload is not an in-toto Statement v1 (_type {statement.get('_type')!r})")
    return statement
