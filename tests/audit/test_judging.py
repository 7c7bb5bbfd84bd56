"""The audit's policy verdict at a past commit judges evidence as `assay verify` does, rule 2 of decision 0005 included."""

from __future__ import annotations

import json
from pathlib import Path

from support import AUDITED_MODEL, assay_expect, audit_git, revoke_key, start_approved_repository


def test_a_verdict_at_a_past_commit_does_not_count_an_approval_that_entered_after_its_keys_revocation(tmp_path: Path) -> None:
    root, keys = tmp_path / "repo", tmp_path / "keys"
    root.mkdir()
    keys.mkdir()
    start_approved_repository(root, keys)
    revoke_key(root, "validator")
    # A holder of the revoked key approves the next version before it is committed; its signed time precedes revokedAt.
    spec = root / "models" / AUDITED_MODEL / "model.yaml"
    spec.write_text(spec.read_text().replace("  version: 0.4.0\n", "  version: 0.4.1\n"))
    assay_expect(root, "approve", AUDITED_MODEL, "--env", "production", "--key", str(keys / "validator.pem"))
    audit_git(root, "commit", "-q", "-am", "version 0.4.1")
    # A later change to the trust root: that commit's trust root is no longer the one the working tree verified against.
    trust = root / "keys" / "trust.yaml"
    trust.write_text(trust.read_text() + "# reviewed\n")
    audit_git(root, "commit", "-q", "-am", "trust root reviewed")

    report = json.loads(assay_expect(root, "audit", AUDITED_MODEL, "--format", "json", code=None).stdout)
    late = [e for e in report["entries"] if e["kind"] == "approval" and e["status"] == "failed"]
    assert len(late) == 1 and "revoked" in " ".join(late[0]["reasons"])
    version = [e for e in report["entries"] if e["kind"] == "spec"][-1]
    assert version["data"]["version"] == "0.4.1"
    assert "VAL-02" in {finding["code"] for finding in version["data"]["verdict"]["findings"]}
