"""What the evidence commands share: the trust root from a tree, the signer, and the plan recomputation."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from assay.cli.errors import UserError
from assay.evidence import TRUST_ROOT_PATH, TrustRoot, load_signer, parse_trust_root
from assay.evidence.chain import records_folder
from assay.evidence.errors import EvidenceError
from assay.evidence.revocation import TrustedHistory, read_trusted_history
from assay.load import DEFAULT_LIMITS, SourceError, SourceFile, parse_document
from assay.load.git_tree import GitError, run_git
from assay.load.tree import FileTree
from assay.plan import PlanContext, canonical_digest, compile_plan
from assay.plan.compile import prices_from

KEY_VARIABLE = "ASSAY_SIGNING_KEY"


def load_trust(tree: FileTree) -> TrustRoot:
    """keys/trust.yaml of `tree` (the trusted ref, or the working tree)."""
    if not tree.exists(TRUST_ROOT_PATH):
        raise UserError(f"{TRUST_ROOT_PATH} not found: no keys are trusted (create one with assay keygen)")
    try:
        document, problems = parse_document(tree.read(TRUST_ROOT_PATH))
    except SourceError as error:
        raise UserError(f"{TRUST_ROOT_PATH}: {error.diagnostic.message}") from error
    if document is None:
        raise UserError(f"{TRUST_ROOT_PATH}: {problems[0].message}")
    try:
        return parse_trust_root(document.data)
    except EvidenceError as error:
        raise UserError(f"{TRUST_ROOT_PATH}: {error}") from error


def signer_from(key: str | None, trust: TrustRoot, role: str, environ: Mapping[str, str] | None = None) -> tuple[Any, str]:
    """The signer named by --key (or $ASSAY_SIGNING_KEY) and the principal its trust-root entry names."""
    environ = dict(os.environ) if environ is None else environ
    spec = key or environ.get(KEY_VARIABLE)
    if not spec:
        raise UserError(f"no signing key: pass --key PATH|env:VAR|URI or set {KEY_VARIABLE}")
    try:
        signer = load_signer(spec, environ)
    except EvidenceError as error:
        raise UserError(f"signing key: {error}") from error
    keyid = signer.public_key.keyid
    entry = trust.key_for(keyid)
    if entry is None:
        raise UserError(f"signing key {keyid[:16]}… is not in {TRUST_ROOT_PATH}; add its entry (assay keygen prints it)")
    if entry.role != role:
        raise UserError(f"signing key {keyid[:16]}… has role {entry.role}; this needs a {role} key")
    return signer, entry.principal


def plan_checker(root: Path, read_blob: Callable[[str], bytes] | None = None) -> Any:
    """A function that recomputes a provenance record's plan from the spec blob it names.

    `read_blob` reads a git blob by id (e.g. a long-lived ObjectReader's); by default one `git cat-file` per record.
    """
    answers: dict[str, str] = {}  # a plan that hashes to its digest is fixed by it, and so is the check's answer

    def check(statement: Mapping[str, Any]) -> str:
        definition = statement["predicate"]["buildDefinition"]
        plan = definition["externalParameters"]["plan"]
        claimed = definition["internalParameters"]["planDigest"]
        if canonical_digest(plan) != claimed:
            return f"the plan in the record does not hash to its planDigest {claimed[:16]}…"
        if claimed not in answers:
            answers[claimed] = recompute(plan, claimed)
        return answers[claimed]

    def recompute(plan: Mapping[str, Any], claimed: str) -> str:
        inputs = plan["inputs"]
        try:
            blob = inputs["spec"]["blob"]
            content = read_blob(blob) if read_blob is not None else run_git(root, "cat-file", "blob", blob)
        except GitError:
            return f"spec blob {inputs['spec']['blob']} named by the record is not in this repository's history"
        document, _ = parse_document(SourceFile(inputs["spec"]["path"], content), DEFAULT_LIMITS)
        if document is None:
            return "the spec blob the record names does not parse"
        source = document.source
        context = PlanContext(
            source.path,
            source.blob_id,
            source.sha256,
            inputs["policies"]["digest"],
            inputs["assay"]["version"],
            prices_from(inputs["prices"]),
        )
        recomputed = compile_plan(document.data, context).digest
        if recomputed != claimed:
            return f"the spec at blob {source.blob_id[:12]} compiles to plan {recomputed[:16]}…, not {claimed[:16]}… as the record claims"
        return ""

    return check


def trust_yaml_entry(entry: Mapping[str, Any]) -> str:
    """A trust-root key entry as YAML, ready to paste under `keys:`."""
    return yaml.safe_dump([dict(entry)], sort_keys=False, default_flow_style=False)


def default_key_folder() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "assay" / "keys"


def trusted_history(root: Path, ref: str, trust: TrustRoot, models: list[str]) -> tuple[TrustedHistory | None, str]:
    """The history that orders records against revocations, or None and why it could not be read (only said when it matters)."""
    try:
        return read_trusted_history(root, ref, trust, [records_folder(model) for model in models]), ""
    except GitError as error:
        if not any(key.revoked_at is not None for key in trust.keys):
            return None, ""
        return None, f"a key is revoked, but git cannot order records against the revocation ({error}): checked by signed time only"
