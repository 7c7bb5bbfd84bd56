"""The inventory's evidence facts (VAL-02, DEP-02): a revoked key's records count by both rules of decision 0005,
and what .assay/cache/ remembers of a chain holds only for the same trusted history."""

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


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A repository whose production model carries a validator's committed approval of its current plan."""
    return approved_origin(tmp_path_factory)


@pytest.fixture
def approved(origin: tuple[Path, Path], tmp_path: Path) -> Path:
    return repository_copy(origin[0], tmp_path)


def open_errors(root: Path, *extra: str) -> int:
    done = assay_expect(root, "inventory", "--format", "json", "--as-of", "2026-12-01", *extra)
    (row,) = json.loads(done.stdout)["models"]
    errors: int = row["openErrors"]
    return errors


def remembered(root: Path) -> int:
    return sum(1 for path in (root / ".assay" / "cache" / "v1" / "entries").rglob("*") if path.is_file())


def test_an_approval_that_entered_after_its_keys_revocation_is_an_open_finding(approved: Path, origin: tuple[Path, Path]) -> None:
    approved_errors = open_errors(approved)  # VAL-03 (never validated) stays open; VAL-02 is not
    revoke_key(approved, "validator")
    assert open_errors(approved) == approved_errors, "the approval that entered before the revocation still counts"
    change_plan(approved)
    assert open_errors(approved) == approved_errors + 1, "VAL-02: the approval is of the earlier plan"

    assay_expect(approved, "approve", AUDITED_MODEL, "--env", "production", "--key", str(origin[1] / "validator.pem"))
    assert open_errors(approved, "--no-cache") == approved_errors + 1, "VAL-02: the approval entered after the revocation"
    assert open_errors(approved) == approved_errors + 1  # verified, and remembered
    assert remembered(approved) > 0
    assert open_errors(approved) == approved_errors + 1  # from the cache
    assert open_errors(approved, "--trusted-ref", "main") == approved_errors + 1

    # Where git cannot order the records (no repository), they are judged by their signed time only, as verify does then.
    plain = approved.parent / "plain"
    shutil.copytree(approved, plain, symlinks=True, ignore=shutil.ignore_patterns(".git", ".assay"))
    assert open_errors(plain) == approved_errors
    done = assay_expect(plain, "inventory", "--format", "json", "--as-of", "2026-12-01")
    assert "git cannot order records against the revocation" in done.stderr and json.loads(done.stdout)["models"]


def test_remembered_facts_do_not_survive_a_history_that_puts_the_approval_after_the_revocation(approved: Path) -> None:
    """The cache holds the facts of the same records under the same trust root; only the trusted history differs."""
    base = audit_git(approved, "rev-parse", "HEAD~1").strip()  # before the approval
    revoke_key(approved, "validator", commit=False)  # the revocation, prepared in the working tree: not yet on the chain
    approved_errors = open_errors(approved)
    assert open_errors(approved) == approved_errors and remembered(approved) > 0, "the approval entered before it: remembered"
    replay_after_revocation(approved, base)
    assert open_errors(approved) == approved_errors + 1, "the same approval, now entered after the revocation, does not count"
    assert open_errors(approved, "--no-cache") == approved_errors + 1
