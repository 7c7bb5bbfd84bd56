"""What can go wrong with evidence, as exceptions that carry one precise reason each."""

from __future__ import annotations


class EvidenceError(Exception):
    """Base of every evidence error; `str(error)` is the reason, fit to show a user."""


class StatementError(EvidenceError, ValueError):
    """A statement cannot be built from these values, or a statement lacks what assay writes."""


class EnvelopeError(EvidenceError):
    """A DSSE envelope that must not be trusted: malformed, wrongly typed or not validly signed."""


class SignerError(EvidenceError):
    """A private key or signer URI that cannot be used; the message never holds key material."""


class KeyFileError(EvidenceError):
    """A private key file that must not be written where it was asked to go."""


class TrustRootError(EvidenceError):
    """A trust root (keys/trust.yaml) that is not well formed; the message names the JSON pointer."""
