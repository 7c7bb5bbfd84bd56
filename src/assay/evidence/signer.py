"""Where a private key comes from: a PEM file, an environment variable, or a signer URI.

This is an edge: it reads a file or the environment it is given. Errors say which
source failed and why, and never carry key material (exceptions from the crypto
library are not chained).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.exceptions import KeyMismatchError
from securesystemslib.signer import SIGNER_FOR_URI_SCHEME, CryptoSigner, Key, Signer, SSlibKey  # type: ignore[attr-defined]  # no __all__ there

from assay.evidence.errors import SignerError

PASSWORD_VARIABLE = "ASSAY_KEY_PASSWORD"
SECRET_VARIABLE_PREFIX = "ASSAY_KEY_"
ENV_PREFIX = "env:"

# Two or more characters before the colon, so a Windows drive letter is still a path.
_URI_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


def load_signer(spec: str, environ: Mapping[str, str], *, public_key: Key | None = None) -> Signer:
    """A signer for `spec`:

    - `env:NAME`: an unencrypted (or `ASSAY_KEY_PASSWORD`-encrypted) PEM in variable NAME;
    - `SCHEME:...`: any securesystemslib signer URI (`file2:`, `gcpkms:`, `azurekms:`,
      `awskms:`, `hsm:`, `hashivault:`...), which needs `public_key` from the trust root;
      secrets it asks for (a PIN, a passphrase) come from `ASSAY_KEY_<NAME>`;
    - anything else: a path to a PEM (PKCS#8) Ed25519 private key file, decrypted with
      `ASSAY_KEY_PASSWORD` when set.

    When `public_key` is given the private key must match it.
    """
    if spec.startswith(ENV_PREFIX):
        name = spec[len(ENV_PREFIX) :]
        if not name:
            raise SignerError("env: needs a variable name, as in env:ASSAY_RUNNER_KEY")
        if name not in environ:
            raise SignerError(f"environment variable {name} is not set")
        return _pem_signer(environ[name].encode(), f"environment variable {name}", environ, public_key)
    scheme = _URI_SCHEME.match(spec)
    if scheme:
        return _uri_signer(spec, scheme.group(1), environ, public_key)
    path = Path(spec)
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise SignerError(f"private key file {spec} does not exist") from None
    except OSError as error:
        raise SignerError(f"private key file {spec} cannot be read: {error.strerror}") from None
    return _pem_signer(pem, f"private key file {spec}", environ, public_key)


def _pem_signer(pem: bytes, source: str, environ: Mapping[str, str], public_key: Key | None) -> Signer:
    password = environ.get(PASSWORD_VARIABLE)
    try:
        private_key = load_pem_private_key(pem, password.encode() if password else None)
    except TypeError:
        if password:
            raise SignerError(f"{source} is not encrypted but {PASSWORD_VARIABLE} is set; unset it") from None
        raise SignerError(f"{source} is encrypted; set {PASSWORD_VARIABLE}") from None
    except (ValueError, UnsupportedAlgorithm):
        hint = " or the password is wrong" if password else ""
        raise SignerError(f"{source} is not a PEM private key{hint}") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise SignerError(f"{source} is not an Ed25519 key (assay signs with Ed25519 only)")
    if public_key is not None and not isinstance(public_key, SSlibKey):
        raise SignerError(f"the public key for {source} is not an Ed25519 key")
    try:
        return CryptoSigner(private_key, public_key)
    except (KeyMismatchError, ValueError):
        keyid = public_key.keyid if public_key is not None else "?"
        raise SignerError(f"{source} does not hold the private key of {keyid} in the trust root") from None


def _uri_signer(spec: str, scheme: str, environ: Mapping[str, str], public_key: Key | None) -> Signer:
    if scheme not in SIGNER_FOR_URI_SCHEME:
        known = ", ".join(sorted([ENV_PREFIX[:-1], *SIGNER_FOR_URI_SCHEME]))
        raise SignerError(f"signer URI scheme {scheme!r} is not supported (known: {known}); a file path needs no scheme")
    if public_key is None:
        raise SignerError(f"a {scheme}: signer needs its public key: name the keyid from the trust root")

    def secrets(name: str) -> str:
        variable = SECRET_VARIABLE_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper())
        if variable not in environ:
            raise SignerError(f"the {scheme}: signer needs a {name}: set {variable}")
        return environ[variable]

    try:
        return Signer.from_priv_key_uri(spec, public_key, secrets)
    except SignerError:
        raise
    except KeyMismatchError:
        raise SignerError(f"the key at {scheme}: does not match {public_key.keyid} in the trust root") from None
    except Exception as error:  # each backend raises its own errors (network, SDK missing, file)
        raise SignerError(f"the {scheme}: signer cannot be used: {type(error).__name__}: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "no detail"
