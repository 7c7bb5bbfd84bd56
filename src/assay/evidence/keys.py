"""New Ed25519 key pairs, and writing a private key where it cannot end up in git.

`generate_keypair` gives the private key as PEM, the public key, and the entry to add
to `keys/trust.yaml` on the trusted branch. `write_private_key` is the edge that puts
the PEM on disk: mode 0600, never over an existing file, never inside the repository.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from securesystemslib.signer import CryptoSigner, SSlibKey  # type: ignore[attr-defined]  # no __all__ there

from assay.evidence.errors import KeyFileError
from assay.evidence.timestamps import format_timestamp, require_aware
from assay.evidence.trust import KEY_TYPE, PRINCIPAL_PATTERN, ROLES


class GeneratedKey(NamedTuple):
    """A new key pair: the private key (PKCS#8 PEM, unencrypted), its public key, its trust entry."""

    private_pem: bytes
    public_key: SSlibKey
    trust_entry: dict[str, Any]


def generate_keypair(role: str, principal: str, *, not_before: datetime, not_after: datetime, comment: str = "") -> GeneratedKey:
    """A fresh Ed25519 key for `principal` (an email) acting as `role`, valid from `not_before` to `not_after`."""
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not PRINCIPAL_PATTERN.match(principal):
        raise ValueError(f"principal {principal!r} is not an email address")
    if require_aware(not_after, "notAfter") <= require_aware(not_before, "notBefore"):
        raise ValueError("notAfter must be later than notBefore")
    signer = CryptoSigner.generate_ed25519()
    public_key = signer.public_key
    entry: dict[str, Any] = {
        "keyid": public_key.keyid,
        "keytype": KEY_TYPE,
        "scheme": KEY_TYPE,
        "public": public_key.keyval["public"],
        "role": role,
        "principal": principal,
        "notBefore": format_timestamp(not_before),
        "notAfter": format_timestamp(not_after),
    }
    if comment:
        entry["comment"] = comment
    return GeneratedKey(signer.private_bytes, public_key, entry)


def write_private_key(path: Path, pem: bytes, *, repo_root: Path | None) -> Path:
    """Write `pem` to a new file at `path` with mode 0600 and return its resolved path.

    Refused (KeyFileError) when the path lies inside `repo_root` (the repository assay
    governs: private keys never enter it) or when the file already exists. A missing
    parent folder is made with mode 0700.
    """
    target = path.expanduser().parent.resolve() / path.name
    if repo_root is not None and target.is_relative_to(repo_root.resolve()):
        raise KeyFileError(f"{path} is inside the repository {repo_root}; private keys never enter the repository: write it elsewhere")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; assay does not overwrite a private key") from None
    except OSError as error:
        raise KeyFileError(f"{path} cannot be created: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # whatever the umask allowed, the key is for its owner only
            handle.write(pem)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    return target
