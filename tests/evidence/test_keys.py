"""Key pairs, private key files (0600, never in the repository) and loading signers from file, env or URI."""

from __future__ import annotations

import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from securesystemslib.signer import CryptoSigner

from assay.evidence import (
    GeneratedKey,
    KeyFileError,
    SignerError,
    approval_statement,
    generate_keypair,
    load_signer,
    sign_statement,
    verify_envelope,
    write_private_key,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def generated() -> GeneratedKey:
    return generate_keypair("runner", "ci@bank.example", not_before=START, not_after=START + timedelta(days=365))


def _signs_for(signer: Any, generated: GeneratedKey) -> None:
    statement = approval_statement(model="m", plan_digest="f" * 64, environment="staging", approver="v@bank.example", issued_at=START)
    _, keyid = verify_envelope(sign_statement(statement, signer), {generated.public_key.keyid: generated.public_key})
    assert keyid == generated.public_key.keyid


def test_generate_keypair_gives_pem_public_key_and_trust_entry(generated: GeneratedKey) -> None:
    assert generated.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    entry = generated.trust_entry
    assert entry == {
        "keyid": generated.public_key.keyid,
        "keytype": "ed25519",
        "scheme": "ed25519",
        "public": generated.public_key.keyval["public"],
        "role": "runner",
        "principal": "ci@bank.example",
        "notBefore": "2026-01-01T00:00:00Z",
        "notAfter": "2027-01-01T00:00:00Z",
    }
    assert generated.private_pem.decode() not in str(entry)


@pytest.mark.parametrize(
    ("role", "principal", "days", "message"),
    [("admin", "a@b.c", 1, "role 'admin'"), ("runner", "nobody", 1, "not an email"), ("runner", "a@b.c", 0, "later than notBefore")],
)
def test_generate_keypair_refuses_bad_values(role: str, principal: str, days: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_keypair(role, principal, not_before=START, not_after=START + timedelta(days=days))


def test_private_key_is_written_0600_outside_the_repository(tmp_path: Path, generated: GeneratedKey) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    written = write_private_key(tmp_path / "keys" / "runner.pem", generated.private_pem, repo_root=repo)
    assert written.read_bytes() == generated.private_pem
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700


def test_private_key_inside_the_repository_is_refused(tmp_path: Path, generated: GeneratedKey) -> None:
    repo = tmp_path / "repo"
    (repo / "keys").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for path in (repo / "keys" / "runner.pem", repo / "sub" / ".." / "runner.pem", tmp_path / "link" / "runner.pem"):
        if path.parent.name == "link":
            path.parent.symlink_to(repo / "keys")
        with pytest.raises(KeyFileError, match="private keys never enter the repository"):
            write_private_key(path, generated.private_pem, repo_root=repo)
    assert list((repo / "keys").iterdir()) == []


def test_an_existing_key_file_is_not_overwritten(tmp_path: Path, generated: GeneratedKey) -> None:
    target = tmp_path / "runner.pem"
    target.write_bytes(b"older key")
    with pytest.raises(KeyFileError, match="already exists"):
        write_private_key(target, generated.private_pem, repo_root=None)
    assert target.read_bytes() == b"older key"


def test_load_signer_from_a_file(tmp_path: Path, generated: GeneratedKey) -> None:
    path = write_private_key(tmp_path / "runner.pem", generated.private_pem, repo_root=None)
    _signs_for(load_signer(str(path), {}), generated)
    _signs_for(load_signer(str(path), {}, public_key=generated.public_key), generated)


def test_load_signer_from_an_encrypted_file(tmp_path: Path, generated: GeneratedKey) -> None:
    key = serialization.load_pem_private_key(generated.private_pem, None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"s3cret")
    )
    path = tmp_path / "runner.pem"
    path.write_bytes(encrypted)
    _signs_for(load_signer(str(path), {"ASSAY_KEY_PASSWORD": "s3cret"}), generated)
    with pytest.raises(SignerError, match="is encrypted; set ASSAY_KEY_PASSWORD"):
        load_signer(str(path), {})
    with pytest.raises(SignerError, match="password is wrong") as wrong:
        load_signer(str(path), {"ASSAY_KEY_PASSWORD": "guess"})
    assert wrong.value.__suppress_context__  # the crypto library's error is not chained into the report


def test_load_signer_from_an_environment_variable(generated: GeneratedKey) -> None:
    _signs_for(load_signer("env:RUNNER_KEY", {"RUNNER_KEY": generated.private_pem.decode()}), generated)
    with pytest.raises(SignerError, match="environment variable RUNNER_KEY is not set"):
        load_signer("env:RUNNER_KEY", {})
    with pytest.raises(SignerError, match="not a PEM private key") as garbage:
        load_signer("env:RUNNER_KEY", {"RUNNER_KEY": "secret-but-not-pem"})
    assert "secret-but-not-pem" not in str(garbage.value)


def test_load_signer_through_a_securesystemslib_uri(tmp_path: Path, generated: GeneratedKey) -> None:
    path = write_private_key(tmp_path / "runner.pem", generated.private_pem, repo_root=None)
    _signs_for(load_signer(f"file2:{path}", {}, public_key=generated.public_key), generated)
    with pytest.raises(SignerError, match="needs its public key"):
        load_signer(f"file2:{path}", {})


def test_an_unknown_uri_scheme_is_a_clear_error() -> None:
    with pytest.raises(SignerError, match=r"signer URI scheme 'vaultx' is not supported \(known: .*gcpkms.*\)"):
        load_signer("vaultx://keys/runner", {})


def test_a_missing_file_and_a_mismatched_key_are_clear_errors(tmp_path: Path, generated: GeneratedKey) -> None:
    with pytest.raises(SignerError, match="does not exist"):
        load_signer(str(tmp_path / "nope.pem"), {})
    other = CryptoSigner.generate_ed25519()
    with pytest.raises(SignerError, match=f"does not hold the private key of {generated.public_key.keyid}"):
        load_signer("env:K", {"K": other.private_bytes.decode()}, public_key=generated.public_key)
    path = write_private_key(tmp_path / "other.pem", other.private_bytes, repo_root=None)
    with pytest.raises(SignerError, match="does not match"):
        load_signer(f"file2:{path}", {}, public_key=generated.public_key)


def test_a_non_ed25519_key_is_refused() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(SignerError, match="not an Ed25519 key"):
        load_signer("env:K", {"K": pem.decode()})
