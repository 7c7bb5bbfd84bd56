"""Reading a repository's history with two processes, whatever its length.

`log_commits` runs `git log` once and returns every commit that touched the given
paths, with its people, dates, signature status and changed files. `ObjectReader`
keeps one `git cat-file --batch` process open and caches tree objects by id, so a
`CommitTree` (a FileTree over any commit, read lazily) costs no process of its own
and trees shared between commits are read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assay.load.git_tree import CatFile, GitError, glob_pattern, run_git
from assay.load.source import DEFAULT_LIMITS, Limits, SourceError, SourceFile, file_diagnostic

# %G? letters: G good, U good but of unknown validity, X/Y expired signature or key,
# R revoked key, B bad, E cannot be checked, N none.
SIGNATURE_STATUS = {
    "G": "good",
    "U": "good, unknown validity",
    "X": "good, expired signature",
    "Y": "good, expired key",
    "R": "revoked key",
    "B": "bad",
    "E": "cannot be checked",
    "N": "unsigned",
}
_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%GS", "%s")
_FORMAT = "%x1e" + "%x1f".join(_FIELDS)


@dataclass(frozen=True)
class FileChange:
    """One path a commit changed: A added, M modified, D deleted, T type changed."""

    status: str
    path: str


@dataclass(frozen=True)
class CommitInfo:
    """A commit as `git log` describes it."""

    sha: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    authored: str
    committer: str
    committer_email: str
    committed: str
    signature: str
    signer: str
    subject: str
    changes: tuple[FileChange, ...] = ()

    @property
    def signature_status(self) -> str:
        return SIGNATURE_STATUS.get(self.signature, f"unknown ({self.signature})")


def log_commits(root: Path, paths: Iterable[str], *, revision: str = "HEAD", allowed_signers: Path | None = None) -> list[CommitInfo]:
    """Commits of `revision` that touched any of `paths`, oldest first (parents before children)."""
    config = ["-c", f"gpg.ssh.allowedSignersFile={allowed_signers}"] if allowed_signers is not None else []
    args = [*config, "log", "-z", "--no-renames", "--date-order", "--name-status", f"--format={_FORMAT}", revision, "--", *paths]
    try:
        output = run_git(root, *args)
    except GitError as error:
        if any(reason in str(error) for reason in ("does not have any commits", "unknown revision", "bad revision")):
            return []
        raise
    return list(reversed(list(_parse_log(output))))


def _parse_log(output: bytes) -> Iterator[CommitInfo]:
    for chunk in output.split(b"\x1e"):
        if not chunk.strip(b"\0\n"):
            continue
        header, _, rest = chunk.partition(b"\0")
        fields = header.decode("utf-8", "replace").split("\x1f", len(_FIELDS) - 1)
        sha, parents, author, author_email, authored, committer, committer_email, committed, signature, signer, subject = fields
        tokens = [token.decode("utf-8", "surrogateescape") for token in rest.lstrip(b"\n").split(b"\0")]
        changes = tuple(FileChange(tokens[i][:1], tokens[i + 1]) for i in range(0, len(tokens) - 1, 2) if tokens[i])
        yield CommitInfo(
            sha,
            tuple(parents.split()),
            author,
            author_email,
            authored,
            committer,
            committer_email,
            committed,
            signature,
            signer,
            subject,
            changes,
        )


TreeEntries = dict[str, tuple[str, str]]
_NOT_FILES = ("040000", "160000")  # folders and submodules


class ObjectReader:
    """One long-lived `git cat-file --batch` process; tree objects are parsed and cached by id."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._objects = CatFile(root)
        self._trees: dict[str, TreeEntries] = {}

    def read(self, oid: str) -> tuple[str, bytes]:
        """(type, content) of an object; GitError when it is missing."""
        _, kind, _, content = self._objects.read(oid)
        assert content is not None  # no size limit asked
        return kind, content

    def blob(self, oid: str) -> bytes:
        kind, content = self.read(oid)
        if kind != "blob":
            raise GitError(f"git object {oid} is a {kind}, not a blob")
        return content

    def tree(self, oid: str) -> TreeEntries:
        """name -> (mode, oid) of a tree object."""
        cached = self._trees.get(oid)
        if cached is None:
            kind, content = self.read(oid)
            if kind != "tree":
                raise GitError(f"git object {oid} is a {kind}, not a tree")
            cached = self._trees[oid] = _parse_tree(content)
        return cached

    def commit_tree(self, commit: str) -> str:
        """The root tree id of a commit."""
        kind, content = self.read(commit)
        if kind != "commit" or not content.startswith(b"tree "):
            raise GitError(f"{commit} is not a commit")
        return content[5 : content.index(b"\n")].decode()

    def close(self) -> None:
        self._objects.close()

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _parse_tree(content: bytes) -> TreeEntries:
    entries: TreeEntries = {}
    index = 0
    while index < len(content):
        space = content.index(b" ", index)
        nul = content.index(b"\0", space)
        mode = content[index:space].decode()
        name = content[space + 1 : nul].decode("utf-8", "surrogateescape")
        entries[name] = (mode.zfill(6), content[nul + 1 : nul + 21].hex())
        index = nul + 21
    return entries


class CommitTree:
    """The files of one commit, read lazily through a shared ObjectReader (a FileTree)."""

    def __init__(self, objects: ObjectReader, commit: str) -> None:
        self.objects = objects
        self.commit = commit
        self.ref = commit[:12]
        self._root = objects.commit_tree(commit)

    def _entry(self, path: str) -> tuple[str, str] | None:
        entry: tuple[str, str] | None = ("040000", self._root)
        for part in path.split("/"):
            if entry is None or entry[0] != "040000":
                return None
            entry = self.objects.tree(entry[1]).get(part)
        return entry

    def exists(self, path: str) -> bool:
        entry = self._entry(path)
        return entry is not None and entry[0] not in _NOT_FILES

    def blob_id(self, path: str) -> str | None:
        entry = self._entry(path)
        return entry[1] if entry is not None and entry[0] not in _NOT_FILES else None

    def folder_id(self, path: str) -> str | None:
        """The tree id of a folder (equal ids: equal contents), None when absent."""
        entry = self._entry(path)
        return entry[1] if entry is not None and entry[0] == "040000" else None

    def read(self, path: str, limits: Limits = DEFAULT_LIMITS) -> SourceFile:
        entry = self._entry(path)
        if entry is None or entry[0] in _NOT_FILES:
            raise SourceError(file_diagnostic("Y012", path, f"{path} does not exist at {self.ref}"))
        if entry[0] == "120000":
            raise SourceError(file_diagnostic("Y010", path, f"refusing to read {path} at {self.ref}: it is a symbolic link"))
        content = self.objects.blob(entry[1])
        if len(content) > limits.max_bytes:
            raise SourceError(
                file_diagnostic("Y001", path, f"file is {len(content):,} bytes, over the limit of {limits.max_bytes:,} bytes")
            )
        return SourceFile(path, content)

    def glob(self, pattern: str) -> list[str]:
        parts = pattern.split("/")
        if "**" in parts:
            regex = glob_pattern(pattern)
            return sorted(path for path in self._walk("", self._root) if regex.match(path))
        return sorted(self._match(parts, "", self._root))

    def _match(self, parts: list[str], prefix: str, tree: str) -> Iterator[str]:
        regex = glob_pattern(parts[0])
        for name, (mode, oid) in self.objects.tree(tree).items():
            if not regex.match(name):
                continue
            if len(parts) == 1:
                if mode not in _NOT_FILES:
                    yield prefix + name
            elif mode == "040000":
                yield from self._match(parts[1:], f"{prefix}{name}/", oid)

    def _walk(self, prefix: str, tree: str) -> Iterator[str]:
        for name, (mode, oid) in self.objects.tree(tree).items():
            if mode == "040000":
                yield from self._walk(f"{prefix}{name}/", oid)
            elif mode not in _NOT_FILES:
                yield prefix + name
