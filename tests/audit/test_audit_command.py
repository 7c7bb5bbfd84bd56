"""`assay audit` on a real history: every event in order, each with its verification status, the tampered record flagged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import AUDIT_WRITER as WRITER
from support import AUDITED_MODEL as MODEL
from support import AuditedHistory as History
from support import audit_assay as assay
from support import audit_git as git
from support import run_assay_process


def audit_json(root: Path, *extra: str) -> tuple[dict[str, Any], int]:
    done = run_assay_process("audit", MODEL, "--format", "json", *extra, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout), done.returncode


def events(report: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(e["kind"], (e["commit"] or {}).get("sha"), e["status"]) for e in report["entries"]]


def test_every_event_in_order_with_the_tampered_record_flagged(history: History) -> None:
    report, code = audit_json(history.root)
    c = history.commits
    assert code == 1 and report["verified"] is False
    assert events(report) == [
        ("spec", c["added"], "unsigned"),
        ("run", c["run1"], "verified"),
        ("tests", c["run1"], "failed"),
        ("spec", c["documentation"], "unsigned"),
        ("spec", c["material"], "verified"),
        ("run", c["run2"], "failed"),
        ("tests", c["run2"], "verified"),
        ("approval", c["approval"], "verified"),
        ("promotion", c["promotion"], "verified"),
        ("edit", c["tamper"], "failed"),
    ]
    tampered = report["entries"][2]
    assert tampered["evidence"] == [f"evidence/{MODEL}/records/0002-tests.dsse.json"]
    assert any("signature" in reason for reason in tampered["reasons"]), tampered["reasons"]
    assert any(c["tamper"][:12] in reason and "append-only" in reason for reason in tampered["reasons"])
    follower = report["entries"][5]
    assert any("chain is broken" in reason for reason in follower["reasons"])
    edit = report["entries"][-1]
    assert edit["evidence"] == [f"evidence/{MODEL}/records/0002-tests.dsse.json"]
    assert edit["commit"]["author_email"] == "mallory@examplebank.com"


def test_spec_changes_carry_people_materiality_fields_and_verdicts(history: History) -> None:
    report, _ = audit_json(history.root)
    added, documentation, material = (e for e in report["entries"] if e["kind"] == "spec")
    assert added["data"]["material"] is True and added["data"]["status"] == "added"
    assert documentation["data"]["material"] is False
    assert documentation["commit"]["author_email"] == WRITER and documentation["commit"]["committer"] == "Dana Writer"
    assert {change["pointer"] for change in documentation["data"]["changes"]} >= {"/metadata/description"}
    assert not any(change["material"] for change in documentation["data"]["changes"])
    assert material["data"]["material"] is True and material["data"]["materialAreas"] == ["estimator"]
    change = next(c for c in material["data"]["changes"] if c["pointer"] == "/training/estimator/params/C")
    assert (change["before"], change["after"], change["material"]) == (1.0, 0.5, True)
    assert material["commit"]["signature"] == "G" and material["commit"]["signatureStatus"] == "good"
    assert material["data"]["version"] == "0.5.0"
    for entry in (added, documentation, material):
        verdict = entry["data"]["verdict"]
        assert verdict["outcome"] in ("pass", "pass with warnings") and len(verdict["policy_digest"]) == 64
        assert verdict["as_of"] == entry["commit"]["committed"][:10]


def test_runs_approvals_and_promotions_say_what_they_claim(history: History) -> None:
    report, _ = audit_json(history.root)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for entry in report["entries"]:
        by_kind.setdefault(entry["kind"], []).append(entry)
    first, second = by_kind["run"]
    assert first["data"]["version"] == "0.4.0" and second["data"]["version"] == "0.5.0"
    assert first["data"]["planDigest"] != second["data"]["planDigest"]
    assert second["data"]["planDigest"] == by_kind["spec"][-1]["data"]["planDigest"]
    assert 0.5 < first["data"]["metrics"]["test"]["auc"] < 1 and "ks" in first["data"]["metrics"]["outOfTime"]
    assert first["data"]["gatesOutcome"] == "passed" and all(gate["passed"] for gate in first["data"]["gates"])
    groups = {(row["attribute"], row["group"]) for row in first["data"]["fairness"]}
    assert ("race_ethnicity", "black") in groups and ("sex", "female") in groups
    (approval,) = by_kind["approval"]
    assert approval["data"]["environment"] == "production" and approval["data"]["signedBy"] == "grace.whitman@examplebank.com"
    assert approval["data"]["planDigest"] == second["data"]["planDigest"]
    (promotion,) = by_kind["promotion"]
    assert promotion["data"]["environment"] == "production"
    assert any(name.startswith(f"deploy/production/{MODEL}/") for name in promotion["data"]["manifests"])


def test_since_and_until_choose_a_period(history: History) -> None:
    report, _ = audit_json(history.root)
    day = report["entries"][0]["when"][:10]
    assert audit_json(history.root, "--since", day, "--until", day)[0]["entries"] == report["entries"]
    assert audit_json(history.root, "--until", "2000-01-01")[0]["entries"] == []
    done = run_assay_process("audit", MODEL, "--since", "2020-02-02", "--until", "2020-01-01", cwd=history.root)
    assert done.returncode == 2 and "after --until" in done.stderr


def test_text_and_markdown_show_the_same_events(history: History) -> None:
    text = assay(history.root, "audit", MODEL, code=1).stdout
    assert "FAILED" in text and "material change (estimator), version 0.5.0" in text
    assert f"{MODEL}: FAILED" in text.splitlines()[-2] or any(line.startswith(f"{MODEL}: FAILED") for line in text.splitlines())
    markdown = assay(history.root, "audit", MODEL, "--format", "markdown", code=1).stdout
    assert markdown.startswith(f"# Audit of `{MODEL}`")
    assert f"](evidence/{MODEL}/records/0002-tests.dsse.json)" in markdown
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown


def test_a_clean_history_verifies(repo: Path, history: History) -> None:
    git(repo, "reset", "-q", "--hard", history.commits["promotion"])
    report, code = audit_json(repo)
    assert code == 0, [e["reasons"] for e in report["entries"] if e["status"] == "failed"]
    assert report["verified"] is True
    assert report["counts"] == {"verified": 7, "failed": 0, "unsigned": 2, "not committed": 0}


def test_a_reverted_tamper_still_shows_the_edits(repo: Path) -> None:
    git(repo, "revert", "--no-edit", "HEAD")
    report, code = audit_json(repo)
    assert code == 1
    assert [e["kind"] for e in report["entries"][-2:]] == ["edit", "edit"]
    # The bytes are back, so the chain holds again; the record still shows it was rewritten twice after it was committed.
    tests = report["entries"][2]
    assert tests["status"] == "failed" and len(tests["reasons"]) == 2
    assert all("append-only" in reason for reason in tests["reasons"])
    assert all(e["status"] == "verified" for e in report["entries"][3:-2] if e["kind"] != "spec")


def test_unknown_record_kinds_and_uncommitted_records_do_not_break_the_audit(repo: Path, history: History) -> None:
    git(repo, "reset", "-q", "--hard", history.commits["promotion"])
    records = repo / "evidence" / MODEL / "records"
    (records / "0007-custom.dsse.json").write_text('{"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": []}')
    report, code = audit_json(repo)
    assert code == 1
    last = report["entries"][-1]
    assert (last["kind"], last["status"], last["commit"]) == ("record", "failed", None)
    assert last["evidence"] == [f"evidence/{MODEL}/records/0007-custom.dsse.json"] and last["reasons"]


def test_unknown_model_is_a_usage_error(history: History) -> None:
    done = run_assay_process("audit", "no-such-model", cwd=history.root)
    assert done.returncode == 2 and "no such model" in done.stderr and MODEL in done.stderr


def test_a_hand_edited_manifest_is_an_out_of_band_edit(repo: Path, history: History) -> None:
    git(repo, "reset", "-q", "--hard", history.commits["promotion"])
    manifest = repo / "deploy" / "production" / MODEL / "promotion.json"
    manifest.write_text(manifest.read_text() + " ")
    git(repo, "commit", "-q", "-am", "tweak", author="eve@examplebank.com")
    report, code = audit_json(repo)
    assert code == 1
    promotion, edit = report["entries"][-2:]
    assert promotion["kind"] == "promotion" and promotion["status"] == "failed"
    assert any("edited by hand" in reason for reason in promotion["reasons"])
    assert edit["kind"] == "edit" and edit["evidence"] == [f"deploy/production/{MODEL}/promotion.json"]
    assert edit["commit"]["author_email"] == "eve@examplebank.com"
