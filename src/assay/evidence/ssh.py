"""The same Ed25519 keys for git: OpenSSH encodings, and the allowed-signers file for `git verify-commit`.

An evidence key is an Ed25519 key; git signs commits with SSH keys of the same
kind. So one key signs both the DSSE envelopes and the commit that carries them,
and the trust root is the one source for both: assay writes git's allowed-signers
file from it.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterable

from cryptography.hazmat.primitives import serialization

from assay.evidence.trust import TrustedKey


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def ssh_public_key(public_hex: str) -> str:
    """`ssh-ed25519 AAAA...` for a raw Ed25519 public key given in hex."""
    blob = _ssh_string(b"ssh-ed25519") + _ssh_string(bytes.fromhex(public_hex))
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def openssh_private_key(pem: bytes) -> bytes:
    """The PEM private key re-encoded in OpenSSH's format, which `git -c gpg.format=ssh` signs with."""
    key = serialization.load_pem_private_key(pem, password=None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())


def allowed_signers(keys: Iterable[TrustedKey]) -> str:
    """git's allowed-signers file: one line per unrevoked key, valid in its window, for commits."""
    lines = []
    for key in sorted(keys, key=lambda k: (k.principal, k.keyid)):
        if key.revoked_at is not None:
            continue
        window = f'valid-after="{key.not_before:%Y%m%d%H%M%S}Z",valid-before="{key.not_after:%Y%m%d%H%M%S}Z"'
        lines.append(f'{key.principal} namespaces="git",{window} {ssh_public_key(key.public)}')
    return "\n".join(lines) + "\n"
