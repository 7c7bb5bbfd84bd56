"""Appending signed records to a model's chain in the repository, and committing them to git.

The edge where evidence touches files, git and the lock: records are built against
the chain as it is under the lock, signed, written atomically, and committed with a
message naming the model, version, plan digest and verdict. Two runs at once
serialise on the lock, so both records end up in the chain. Pushing retries after
rebuilding the records on top of a remote that moved.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from assay.evidence.chain import next_record_path, ordered_records, records_folder, with_previous
from assay.evidence.envelope import envelope_file_bytes, sign_statement
from assay.evidence.run_records import PendingRecord
from assay.evidence.statements import RecordRef
from assay.output import write_atomic

LOCK_FILE = ".assay/evidence.lock"


class LedgerError(Exception):
    """git refused, or the chain could not be extended."""


@contextlib.contextmanager
def chain_lock(root: Path) -> Iterator[None]:
    """An exclusive lock for the repository's evidence, held across build, write and commit."""
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def last_record(root: Path, model: str) -> RecordRef | None:
    folder = root / records_folder(model)
    names = [p.relative_to(root).as_posix() for p in folder.glob("*.dsse.json")] if folder.is_dir() else []
    records = ordered_records(names)
    if not records:
        return None
    path = records[-1].path
    return RecordRef(path, hashlib.sha256((root / path).read_bytes()).hexdigest())


Builder = Callable[[RecordRef | None], Sequence[PendingRecord]]


def append_records(root: Path, model: str, build: Builder, signer: Any, artifacts: Mapping[str, Path] = {}) -> list[str]:
    """Build the records against the chain's last record, sign and write them; copy published artifacts.

    Call under `chain_lock`. Returns the repository paths written.
    """
    written = []
    for target, source in sorted(artifacts.items()):
        destination = root / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(destination, source.read_bytes())
        written.append(target)
    previous = last_record(root, model)
    for pending in build(previous):
        statement = with_previous(pending.statement, {"path": previous.path, "sha256": previous.sha256} if previous else None)
        content = envelope_file_bytes(sign_statement(statement, signer))
        folder = root / records_folder(model)
        existing = ordered_records([p.relative_to(root).as_posix() for p in folder.glob("*.dsse.json")]) if folder.is_dir() else []
        path = next_record_path(model, existing, pending.kind)
        write_atomic(root / path, content)
        written.append(path)
        previous = RecordRef(path, hashlib.sha256(content).hexdigest())
    return written


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise LedgerError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


def commit_paths(root: Path, paths: Sequence[str], message: str) -> str:
    """Commit exactly `paths` (SSH- or GPG-signed when git has a signing key configured); the new commit id."""
    git(root, "add", "--", *paths)
    signing = git(root, "config", "--get", "user.signingkey", check=False).stdout.strip()
    git(root, "commit", "--quiet", *(["-S"] if signing else []), "-m", message, "--", *paths)
    return git(root, "rev-parse", "HEAD").stdout.strip()


def push_with_retry(root: Path, redo: Callable[[], str], remote: str = "origin", attempts: int = 5) -> str:
    """Push HEAD; when the remote moved, drop our evidence commit, pull, rebuild it with `redo`, and try again."""
    branch = git(root, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    for _ in range(attempts):
        if git(root, "push", "--quiet", remote, f"HEAD:{branch}", check=False).returncode == 0:
            return git(root, "rev-parse", "HEAD").stdout.strip()
        git(root, "reset", "--quiet", "--keep", "HEAD~1")
        git(root, "pull", "--quiet", "--rebase", "--autostash", remote, branch)
        redo()
    raise LedgerError(f"could not push to {remote}/{branch} after {attempts} attempts")


def copy_tree_files(source: Path, target_prefix: str, names: Sequence[str]) -> dict[str, Path]:
    """Map repository paths under `target_prefix` to the run files to publish there."""
    return {f"{target_prefix}/{name}": source / name for name in names if (source / name).is_file()}


def remove_paths(root: Path, paths: Sequence[str]) -> None:
    for path in paths:
        target = root / path
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
