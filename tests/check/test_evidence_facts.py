"""Evidence facts in `assay check` (VAL-02, DEP-02): a revoked key's records count by both rules of decision 0005."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support import (
    AUDITED_MODEL,
    approved_origin,
    assay_expect,
    audit_git,
    change_plan,
    replay_after_revocation,
    repository_copy,
    revoke_key,
)

AS_OF = "2026-12-01"


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A repository whose production model carries a validator's committed approval of its current plan."""
    return approved_origin(tmp_path_factory)


@pytest.fixture
def repo(origin: tuple[Path, Path], tmp_path: Path) -> Path:
    return repository_copy(origin[0], tmp_path)


def approval_findings(root: Path, *extra: str) -> list[str]:
    """The messages of `assay check`'s VAL-02 findings (the check exits 1 either way: VAL-03 stays open)."""
    done = assay_expect(root, "check", "--format", "json", "--as-of", AS_OF, *extra, code=1)
    return [d["message"] for d in json.loads(done.stdout)["diagnostics"] if d["code"] == "VAL-02"]


def test_an_approval_that_entered_after_its_keys_revocation_does_not_count_whatever_time_it_claims(
    repo: Path, origin: tuple[Path, Path]
) -> None:
    assert approval_findings(repo) == []
    revoke_key(repo, "validator")
    assert approval_findings(repo) == [], "the approval that entered before the revocation still counts"
    change_plan(repo)
    assert len(approval_findings(repo)) == 1, "the approval is of the earlier plan"

    assay_expect(repo, "approve", AUDITED_MODEL, "--env", "production", "--key", str(origin[1] / "validator.pem"))
    for extra in ((), (), ("--no-cache",), ("--trusted-ref", "main")):  # judged, then from the cache, then again without it
        (finding,) = approval_findings(repo, *extra)
        assert "(1 approval(s) of other plans or environments)" in finding, (extra, finding)  # the earlier one counts; the late one not

    # Where git cannot order the records (no repository), they are judged by their signed time only, as verify does then.
    plain = repo.parent / "plain"
    shutil.copytree(repo, plain, symlinks=True, ignore=shutil.ignore_patterns(".git", ".assay"))
    assert approval_findings(plain) == []
    done = assay_expect(plain, "check", "--format", "json", "--as-of", AS_OF, code=1)
    assert "git cannot order records against the revocation" in done.stderr and "signed time only" in done.stderr
    assert "cannot order" not in assay_expect(repo, "check", "--format", "json", "--as-of", AS_OF, code=1).stderr


def test_a_remembered_outcome_does_not_survive_a_history_that_puts_the_approval_after_the_revocation(repo: Path) -> None:
    """The cache holds the outcome of the same spec, records and trust root; only the trusted history differs."""
    base = audit_git(repo, "rev-parse", "HEAD~1").strip()  # before the approval
    revoke_key(repo, "validator", commit=False)  # the revocation, prepared in the working tree: not yet on the chain
    assert approval_findings(repo) == [] and approval_findings(repo) == [], "the approval entered before it"
    replay_after_revocation(repo, base)
    assert len(approval_findings(repo)) == 1, "the same approval, now entered after the revocation, does not count"
    assert len(approval_findings(repo, "--no-cache")) == 1
