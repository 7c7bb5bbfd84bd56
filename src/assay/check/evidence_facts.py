"""What the evidence says about a model, for rules that judge it (VAL-02, DEP-02) and for deploy/.

Only records that verify against the trust root count. The facts are plain data
for CEL: approvals (environment, plan digest, approver), test results (plan digest,
result) and promotions (environment, plan digest, manifests).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load.tree import FileTree

if TYPE_CHECKING:
    from assay.evidence import TrustRoot
    from assay.evidence.verify import VerifiedRecord

NO_EVIDENCE: dict[str, Any] = {"approvals": [], "tests": [], "promotions": [], "records": 0}


def verified_records(tree: FileTree, model: str, trust: TrustRoot | None) -> list[VerifiedRecord]:
    if trust is None or not tree.glob(f"evidence/{model}/records/*.dsse.json"):
        return []
    from assay.evidence.verify import verify_model

    return verify_model(tree, model, trust, None, lambda _statement: "").records


def evidence_facts(records: list[VerifiedRecord]) -> dict[str, Any]:
    facts: dict[str, Any] = {"approvals": [], "tests": [], "promotions": [], "records": len(records)}
    for record in records:
        predicate = record.statement["predicate"]
        if record.kind == "approval":
            facts["approvals"].append(
                {"environment": predicate["environment"], "planDigest": record.plan_digest, "approver": record.principal}
            )
        elif record.kind == "tests":
            facts["tests"].append(
                {"planDigest": record.plan_digest, "result": predicate["result"], "failedTests": predicate["failedTests"]}
            )
        elif record.kind == "promotion":
            manifests = [subject["name"] for subject in record.statement["subject"]]
            facts["promotions"].append({"environment": predicate["environment"], "planDigest": record.plan_digest, "manifests": manifests})
    return facts


def deploy_findings(tree: FileTree, trust: TrustRoot | None) -> list[Diagnostic]:
    """A file under deploy/ that no verified promotion rendered, or that changed since, is an error (E001)."""
    import hashlib

    findings = []
    promoted: dict[str, dict[str, str]] = {}
    for path in tree.glob("deploy/*/*/*"):
        model = PurePosixPath(path).parts[2]
        if model not in promoted:
            promoted[model] = {}
            for record in verified_records(tree, model, trust):
                if record.kind == "promotion":
                    promoted[model].update({s["name"]: s["digest"]["sha256"] for s in record.statement["subject"]})
        expected = promoted[model].get(path)
        if expected is None:
            message = f"{path} was not rendered by a verified promotion of {model}; only assay promote writes deploy/"
        elif hashlib.sha256(tree.read(path).content).hexdigest() != expected:
            message = f"{path} differs from what its promotion rendered: edited by hand?"
        else:
            continue
        findings.append(
            Diagnostic("E001", Severity.ERROR, message, Location(path), "run assay promote MODEL --env ENV; never edit deploy/ by hand")
        )
    return findings
