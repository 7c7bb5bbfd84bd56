"""Rule 2 of decision 0005: a record that entered the trusted history at or after its key's revocation is refused.

A record's `issuedAt` is chosen by whoever holds the key, so a thief with a revoked key
can backdate it; the order of commits on the trusted branch is not the thief's to choose.
`read_trusted_history` reads that order from git in three processes, whatever the
history's length: the first-parent chain of the trusted ref, the commits on it that
changed the trust root (each trust root read through one `git cat-file --batch`), and the
commits at which each record file was added. `late_record` then judges one record.

A record not yet on the chain (in the working tree, or on a branch under review) enters
after everything on it, so a revoked key cannot sign anything new; a record and a
revocation that are both off the chain count as entering together, and so as after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from assay.evidence.errors import EvidenceError
from assay.evidence.trust import TRUST_ROOT_PATH, TrustRoot, parse_trust_root
from assay.load import SourceError, SourceFile, parse_document
from assay.load.git_history import ObjectReader
from assay.load.git_tree import GitError, resolve_commit, run_git

NOT_ON_CHAIN = 1 << 62  # the position of what has not entered the trusted history yet


@dataclass(frozen=True)
class TrustedHistory:
    """Positions on the trusted ref's first-parent chain (0 is its first commit) of revocations and records."""

    ref: str
    commits: tuple[str, ...]  # the chain, oldest first
    revocations: Mapping[str, int]  # keyid -> where its revokedAt first appeared in the trust root
    entries: Mapping[str, int]  # record path -> where the file first became reachable

    def late_record(self, path: str, keyid: str) -> str:
        """Why the record at `path`, signed by `keyid`, entered at or after its key's revocation; "" when it did not."""
        revoked = self.revocations.get(keyid, NOT_ON_CHAIN)
        entered = self.entries.get(path, NOT_ON_CHAIN)
        if entered < revoked:
            return ""
        where = f"at commit {self.commits[entered][:12]}" if entered != NOT_ON_CHAIN else "after it (not yet on it)"
        since = f"commit {self.commits[revoked][:12]}" if revoked != NOT_ON_CHAIN else "the working tree's trust root"
        return (
            f"record entered {self.ref}'s history {where}, at or after its key {keyid[:12]}… was revoked there "
            f"({since}): a revoked key's records are refused whatever time they claim"
        )


def read_trusted_history(root: Path, ref: str, trust: TrustRoot, folders: Iterable[str]) -> TrustedHistory:
    """The history rule 2 needs, for the keys `trust` lists as revoked and the records under `folders`; GitError when git cannot say."""
    return read_revocation_history(root, ref, {key.keyid for key in trust.keys if key.revoked_at is not None}, folders)


def read_revocation_history(root: Path, ref: str, revoked: AbstractSet[str], folders: Iterable[str]) -> TrustedHistory:
    """`read_trusted_history` for the keyids `revoked` (those the trust root marks revoked), for callers that hold only their ids."""
    revoked = set(revoked)
    if not revoked:
        return TrustedHistory(ref, (), {}, {})  # rule 2 judges only records of revoked keys
    commit = resolve_commit(root, ref)
    commits = tuple(reversed(run_git(root, "rev-list", "--first-parent", commit).decode().split()))
    position = {c: index for index, c in enumerate(commits)}
    return TrustedHistory(
        ref, commits, _revocations(root, commit, revoked, position), _entries(root, commit, sorted(set(folders)), position)
    )


def _revocations(root: Path, commit: str, revoked: set[str], position: Mapping[str, int]) -> dict[str, int]:
    """keyid -> position of the first commit on the chain whose trust root marks that key revoked."""
    changed = run_git(root, "log", "--first-parent", "--format=%H", commit, "--", TRUST_ROOT_PATH).decode().split()
    found: dict[str, int] = {}
    with ObjectReader(root) as objects:
        for change in reversed(changed):
            for keyid in _revoked_in(objects, change) & (revoked - found.keys()):
                found[keyid] = position[change]
            if found.keys() == revoked:
                break
    return found


def _revoked_in(objects: ObjectReader, commit: str) -> set[str]:
    """The keyids the trust root at `commit` marks revoked (none when it is missing or does not parse)."""
    try:
        content = objects.blob(f"{commit}:{TRUST_ROOT_PATH}")
        document, _ = parse_document(SourceFile(TRUST_ROOT_PATH, content))
        trust = parse_trust_root(document.data) if document is not None else None
    except (GitError, SourceError, EvidenceError):
        return set()
    return {key.keyid for key in trust.keys if key.revoked_at is not None} if trust is not None else set()


def _entries(root: Path, commit: str, folders: list[str], position: Mapping[str, int]) -> dict[str, int]:
    """record path -> position of the commit on the chain that added it (the earliest, if added more than once)."""
    if not folders:
        return {}
    output = run_git(root, "log", "--first-parent", "--diff-filter=A", "--name-only", "-z", "--format=%H", commit, "--", *folders)
    entries: dict[str, int] = {}
    current = NOT_ON_CHAIN
    prefixes = tuple(folder.rstrip("/") + "/" for folder in folders)
    for token in (raw.lstrip("\n") for raw in output.decode("utf-8", "surrogateescape").split("\0")):
        if not token:
            continue
        if token.startswith(prefixes):
            entries[token] = min(entries.get(token, NOT_ON_CHAIN), current)
        else:
            current = position.get(token, NOT_ON_CHAIN)
    return entries
