"""Evidence: signed, chained records of what assay did, verifiable with securesystemslib alone.

Takes typed values (the compiled plan and its digest, the spec's blob and sha256, data
and policy digests, the previous record, the digests of the files a run wrote) and
gives in-toto Statement v1 documents: SLSA Provenance v1 for a training run, in-toto
test-result for gates and fairness tests, and assay's own approval predicate. Statements
travel as DSSE envelopes (`application/vnd.in-toto+json`) over their RFC 8785 canonical
bytes, signed with Ed25519 through a securesystemslib Signer loaded from a file, an
environment variable or a KMS/HSM URI.

Takes the trust root (`keys/trust.yaml` from the trusted ref) and gives, for a key and
a record, the empty string or the reason the key may not sign it (role, validity window,
revocation). Builders are pure; only `load_signer` and `write_private_key` touch the
environment or the file system. docs/decisions/0005-evidence-format.md holds the rules.

Names are imported on first use (PEP 562): `assay check` reads the trust root
without importing securesystemslib's signers (and the cloud SDKs they pull in).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.evidence.envelope import PAYLOAD_TYPE, envelope_file_bytes, parse_envelope_file, sign_statement, verify_envelope
    from assay.evidence.errors import EnvelopeError, EvidenceError, KeyFileError, SignerError, StatementError, TrustRootError
    from assay.evidence.keys import GeneratedKey, generate_keypair, write_private_key
    from assay.evidence.records import RecordHeader, read_record_header, subject_digests
    from assay.evidence.signer import PASSWORD_VARIABLE, load_signer
    from assay.evidence.statements import (
        APPROVAL_TYPE,
        KNOWN_PREDICATE_TYPES,
        PROMOTION_TYPE,
        PROVENANCE_TYPE,
        RECORD_EXTENSION,
        STATEMENT_TYPE,
        TEST_RESULT_TYPE,
        TRAINING_BUILD_TYPE,
        DataSource,
        RecordRef,
        ResourceDescriptor,
        SpecSource,
        TestOutcome,
        approval_statement,
        plan_descriptor,
        promotion_statement,
        provenance_statement,
        resource_descriptor,
        test_result_statement,
    )
    from assay.evidence.trust import (
        ROLES,
        TRUST_ROOT_PATH,
        TrustedKey,
        TrustRoot,
        check_key,
        ed25519_keyid,
        parse_trust_root,
        record_is_after_revocation,
    )

_MODULES = {
    "APPROVAL_TYPE": "assay.evidence.statements",
    "DataSource": "assay.evidence.statements",
    "EnvelopeError": "assay.evidence.errors",
    "EvidenceError": "assay.evidence.errors",
    "GeneratedKey": "assay.evidence.keys",
    "KNOWN_PREDICATE_TYPES": "assay.evidence.statements",
    "KeyFileError": "assay.evidence.errors",
    "PASSWORD_VARIABLE": "assay.evidence.signer",
    "PAYLOAD_TYPE": "assay.evidence.envelope",
    "PROMOTION_TYPE": "assay.evidence.statements",
    "PROVENANCE_TYPE": "assay.evidence.statements",
    "RECORD_EXTENSION": "assay.evidence.statements",
    "ROLES": "assay.evidence.trust",
    "RecordHeader": "assay.evidence.records",
    "RecordRef": "assay.evidence.statements",
    "ResourceDescriptor": "assay.evidence.statements",
    "STATEMENT_TYPE": "assay.evidence.statements",
    "SignerError": "assay.evidence.errors",
    "SpecSource": "assay.evidence.statements",
    "StatementError": "assay.evidence.errors",
    "TEST_RESULT_TYPE": "assay.evidence.statements",
    "TRAINING_BUILD_TYPE": "assay.evidence.statements",
    "TRUST_ROOT_PATH": "assay.evidence.trust",
    "TestOutcome": "assay.evidence.statements",
    "TrustRoot": "assay.evidence.trust",
    "TrustRootError": "assay.evidence.errors",
    "TrustedKey": "assay.evidence.trust",
    "approval_statement": "assay.evidence.statements",
    "check_key": "assay.evidence.trust",
    "ed25519_keyid": "assay.evidence.trust",
    "envelope_file_bytes": "assay.evidence.envelope",
    "generate_keypair": "assay.evidence.keys",
    "load_signer": "assay.evidence.signer",
    "parse_envelope_file": "assay.evidence.envelope",
    "parse_trust_root": "assay.evidence.trust",
    "plan_descriptor": "assay.evidence.statements",
    "promotion_statement": "assay.evidence.statements",
    "provenance_statement": "assay.evidence.statements",
    "read_record_header": "assay.evidence.records",
    "record_is_after_revocation": "assay.evidence.trust",
    "resource_descriptor": "assay.evidence.statements",
    "sign_statement": "assay.evidence.envelope",
    "subject_digests": "assay.evidence.records",
    "test_result_statement": "assay.evidence.statements",
    "verify_envelope": "assay.evidence.envelope",
    "write_private_key": "assay.evidence.keys",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'assay.evidence' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "APPROVAL_TYPE",
    "KNOWN_PREDICATE_TYPES",
    "PASSWORD_VARIABLE",
    "PAYLOAD_TYPE",
    "PROMOTION_TYPE",
    "PROVENANCE_TYPE",
    "RECORD_EXTENSION",
    "ROLES",
    "STATEMENT_TYPE",
    "TEST_RESULT_TYPE",
    "TRAINING_BUILD_TYPE",
    "TRUST_ROOT_PATH",
    "DataSource",
    "EnvelopeError",
    "EvidenceError",
    "GeneratedKey",
    "KeyFileError",
    "RecordHeader",
    "RecordRef",
    "ResourceDescriptor",
    "SignerError",
    "SpecSource",
    "StatementError",
    "TestOutcome",
    "TrustRoot",
    "TrustRootError",
    "TrustedKey",
    "approval_statement",
    "check_key",
    "ed25519_keyid",
    "envelope_file_bytes",
    "generate_keypair",
    "load_signer",
    "parse_envelope_file",
    "parse_trust_root",
    "plan_descriptor",
    "promotion_statement",
    "provenance_statement",
    "read_record_header",
    "record_is_after_revocation",
    "resource_descriptor",
    "sign_statement",
    "subject_digests",
    "test_result_statement",
    "verify_envelope",
    "write_private_key",
]
