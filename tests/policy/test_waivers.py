"""Waivers: applied while valid, refused with a reason when expired, too long or malformed; never hidden."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policy_fixtures import MAX_TIER_BUNDLE, credit_spec
from support import RunAssay, write_repo

WAIVER = """\
apiVersion: assay/v1
kind: Waivers
waivers:
  - rule: TST-02
    model: consumer-credit-pd
    pointer: {pointer}
    reason: Reviewed by fair-lending compliance; the feature is a hashed token.
    ticket: FAIR-101
    approver: compliance@examplebank.com
    approved: "{approved}"
    expires: "{expires}"
"""


def check(
    run_assay: RunAssay,
    tmp_path: Path,
    *,
    pointer: str = "/data/features/9",
    approved: str = "2026-10-01",
    expires: str = "2027-01-31",
    fmt: str = "json",
):  # type: ignore[no-untyped-def]
    root = write_repo(
        tmp_path,
        {
            "models/consumer-credit-pd/model.yaml": credit_spec(secret=True),
            "policies/test.yaml": MAX_TIER_BUNDLE,
            "policies/waivers.yaml": WAIVER.format(pointer=pointer, approved=approved, expires=expires),
        },
    )
    return run_assay("check", "--format", fmt, "--as-of", "2026-11-29", cwd=root)


def finding(done):  # type: ignore[no-untyped-def]
    (diagnostic,) = [d for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "TST-02"]
    return diagnostic


def test_valid_waiver_applies_and_is_reported(run_assay: RunAssay, tmp_path: Path) -> None:
    done = check(run_assay, tmp_path)
    assert done.returncode == 0
    diagnostic = finding(done)
    assert diagnostic["waived"] is True
    assert diagnostic["waiver"]["ticket"] == "FAIR-101"
    assert json.loads(done.stdout)["summary"]["waived"] == 1


@pytest.mark.parametrize(
    ("approved", "expires", "reason"),
    [
        ("2026-06-01", "2026-11-01", "it expired on 2026-11-01"),
        ("2026-11-01", "2027-11-01", "it runs 365 days, over the maximum of 180 days from approval"),
        ("2026-12-15", "2027-01-31", "it is approved from 2026-12-15, in the future"),
    ],
)
def test_waiver_that_does_not_apply_says_why(run_assay: RunAssay, tmp_path: Path, approved: str, expires: str, reason: str) -> None:
    done = check(run_assay, tmp_path, approved=approved, expires=expires)
    assert done.returncode == 1
    diagnostic = finding(done)
    assert diagnostic["waived"] is False
    assert diagnostic["waiver"]["rejectedBecause"] == reason


def test_malformed_waiver_does_not_apply(run_assay: RunAssay, tmp_path: Path) -> None:
    done = check(run_assay, tmp_path, expires="31/01/2027")
    assert done.returncode == 1
    assert finding(done)["waiver"]["rejectedBecause"].startswith("it is malformed")
    codes = [(d["file"], d["code"]) for d in json.loads(done.stdout)["diagnostics"]]
    assert ("policies/waivers.yaml", "S005") in codes


def test_waiver_out_of_scope_does_not_apply_and_is_noted(run_assay: RunAssay, tmp_path: Path) -> None:
    done = check(run_assay, tmp_path, pointer="/data/features/0")
    assert done.returncode == 1
    assert "waiver" not in finding(done)
    notes = [d for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "W001"]
    assert len(notes) == 1


@pytest.mark.parametrize("fmt", ["text", "github", "sarif"])
def test_waived_findings_show_in_every_format(run_assay: RunAssay, tmp_path: Path, fmt: str) -> None:
    done = check(run_assay, tmp_path, fmt=fmt)
    assert done.returncode == 0
    assert "FAIR-101" in done.stdout
