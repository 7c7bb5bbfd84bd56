"""DSSE envelopes: sign then verify, verification by securesystemslib (and by hand) alone, tampering."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from securesystemslib.signer import CryptoSigner

from assay.evidence import (
    PAYLOAD_TYPE,
    EnvelopeError,
    SignerError,
    StatementError,
    envelope_file_bytes,
    parse_envelope_file,
    sign_statement,
    verify_envelope,
)
from assay.plan import canonical_bytes


def test_sign_then_verify_gives_back_the_statement_and_the_key(provenance: dict[str, Any], signer: CryptoSigner) -> None:
    envelope = sign_statement(provenance, signer)
    assert envelope["payloadType"] == PAYLOAD_TYPE == "application/vnd.in-toto+json"
    assert base64.b64decode(envelope["payload"]) == canonical_bytes(provenance)
    assert [s["keyid"] for s in envelope["signatures"]] == [signer.public_key.keyid]
    statement, keyid = verify_envelope(json.loads(json.dumps(envelope)), {signer.public_key.keyid: signer.public_key})
    assert statement == provenance
    assert keyid == signer.public_key.keyid


def test_a_signature_from_an_unknown_key_is_ignored_when_a_known_one_is_valid(provenance: dict[str, Any], signer: CryptoSigner) -> None:
    stranger = CryptoSigner.generate_ed25519()
    envelope = sign_statement(provenance, stranger)
    envelope["signatures"] += sign_statement(provenance, signer)["signatures"]
    _, keyid = verify_envelope(envelope, {signer.public_key.keyid: signer.public_key})
    assert keyid == signer.public_key.keyid


def test_securesystemslib_alone_verifies_the_envelope(provenance: dict[str, Any], signer: CryptoSigner, tmp_path: Path) -> None:
    """The auditor's path: the envelope file and the public key, securesystemslib, no assay."""
    envelope_file = tmp_path / "provenance.dsse.json"
    envelope_file.write_text(json.dumps(sign_statement(provenance, signer)))
    public = {"keyid": signer.public_key.keyid, "keytype": "ed25519", "scheme": "ed25519", "public": signer.public_key.keyval["public"]}
    script = """
import json, sys
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
envelope = Envelope.from_dict(json.load(open(sys.argv[1])))
key = json.loads(sys.argv[2])
trusted = SSlibKey.from_dict(key["keyid"], {"keytype": key["keytype"], "scheme": key["scheme"], "keyval": {"public": key["public"]}})
accepted = envelope.verify([trusted], threshold=1)
assert list(accepted) == [key["keyid"]], accepted
assert envelope.payload_type == "application/vnd.in-toto+json"
assert not any(name == "assay" or name.startswith("assay.") for name in sys.modules)
sys.stdout.write(envelope.payload.decode())
"""
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, str(envelope_file), json.dumps(public)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == provenance


def test_the_signature_is_ed25519_over_the_dsse_pae(provenance: dict[str, Any], signer: CryptoSigner) -> None:
    """DSSE v1 by hand, with `cryptography` only: PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body."""
    envelope = sign_statement(provenance, signer)
    body = base64.b64decode(envelope["payload"])
    pae = b"DSSEv1 %d %b %d %b" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(body), body)
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(signer.public_key.keyval["public"]))
    key.verify(base64.b64decode(envelope["signatures"][0]["sig"]), pae)  # raises InvalidSignature if not


def _flip(text: str, index: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda e, s: e.update(payload=_flip(e["payload"], 40)), "signature by key .* is invalid"),
        (lambda e, s: e["signatures"][0].update(sig=_flip(e["signatures"][0]["sig"], 5)), "signature by key .* is invalid"),
        (lambda e, s: e.update(payloadType="application/json"), "payloadType is 'application/json', expected"),
        (
            lambda e, s: e.update(signatures=sign_statement(s, CryptoSigner.generate_ed25519())["signatures"]),
            "no signature from a known key",
        ),
        (lambda e, s: e.update(payload="not base64!"), "payload is not valid base64"),
        (lambda e, s: e["signatures"][0].update(sig="%%%"), "signature by .* is not valid base64"),
        (lambda e, s: e.update(signatures=[]), "signatures is missing or empty"),
        (lambda e, s: e.update(signatures=e["signatures"] * 2), "two signatures claim keyid"),
        (lambda e, s: e.pop("payload"), "payload is missing"),
        (lambda e, s: e["signatures"][0].pop("keyid"), r"no signature from a known key \(signed by: <signatures\[0\] has no keyid>\)"),
    ],
    ids=[
        "payload-byte",
        "signature-byte",
        "payload-type",
        "unknown-key",
        "payload-base64",
        "sig-base64",
        "no-signatures",
        "duplicate",
        "no-payload",
        "no-keyid",
    ],
)
def test_tampering_is_refused_with_its_reason(provenance: dict[str, Any], signer: CryptoSigner, tamper: Any, reason: str) -> None:
    envelope = sign_statement(provenance, signer)
    tamper(envelope, provenance)
    with pytest.raises(EnvelopeError, match=reason):
        verify_envelope(envelope, {signer.public_key.keyid: signer.public_key})


def _signed_raw(payload: bytes, signer: CryptoSigner) -> dict[str, Any]:
    """An envelope over arbitrary bytes, validly signed: what a careless or hostile producer could write."""
    from securesystemslib.dsse import Envelope

    envelope = Envelope(payload, PAYLOAD_TYPE, {})
    envelope.sign(signer)
    result: dict[str, Any] = envelope.to_dict()
    return result


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"_type":"https://in-toto.io/Statement/v1","subject":[],"subject":[1]}', "not RFC 8785 canonical"),
        (b'{"_type": "https://in-toto.io/Statement/v1"}', "not RFC 8785 canonical"),
        (b'{"_type":"https://in-toto.io/Statement/v1","n":1.0}', "not RFC 8785 canonical"),
        (b'{"_type":"https://in-toto.io/Statement/v0.1"}', "not an in-toto Statement v1"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1]", "not a JSON object"),
    ],
    ids=["duplicate-keys", "whitespace", "float-form", "old-statement", "not-utf8", "not-object"],
)
def test_validly_signed_but_unfit_payloads_are_refused(signer: CryptoSigner, payload: bytes, reason: str) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        verify_envelope(_signed_raw(payload, signer), {signer.public_key.keyid: signer.public_key})


def test_a_statement_json_cannot_write_is_refused_before_signing(provenance: dict[str, Any], signer: CryptoSigner) -> None:
    with pytest.raises(StatementError, match="canonical JSON"):
        sign_statement({**provenance, "nan": float("nan")}, signer)
    with pytest.raises(StatementError, match="canonical JSON"):
        sign_statement({**provenance, "big": 2**60}, signer)


def test_a_key_registered_under_another_keyid_is_refused(provenance: dict[str, Any], signer: CryptoSigner) -> None:
    other = CryptoSigner.generate_ed25519().public_key
    envelope = sign_statement(provenance, signer)
    with pytest.raises(EnvelopeError, match="has keyid"):
        verify_envelope(envelope, {signer.public_key.keyid: other})


def test_evidence_file_bytes_are_one_form_and_read_back(provenance: dict[str, Any], signer: CryptoSigner) -> None:
    envelope = sign_statement(provenance, signer)
    content = envelope_file_bytes(envelope)
    assert content == envelope_file_bytes(sign_statement(provenance, signer))  # Ed25519 is deterministic
    assert content.endswith(b"}\n") and b"\n" not in content[:-1]
    assert parse_envelope_file(content) == envelope
    with pytest.raises(EnvelopeError, match="not a JSON file"):
        parse_envelope_file(b"{")
    with pytest.raises(EnvelopeError, match="not a JSON object"):
        parse_envelope_file(b"[]")


def test_only_ed25519_signers_sign_evidence(provenance: dict[str, Any]) -> None:
    with pytest.raises(SignerError, match="Ed25519 only"):
        sign_statement(provenance, CryptoSigner.generate_ecdsa())
