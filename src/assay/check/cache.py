"""A content-addressed cache of check results, in the repository's `.assay/cache/`.

What one file's check found depends on the file's bytes and path and on what judged
it: schemas, policies and waivers, assay.yaml, the trust root, the evaluation date,
the set of model names, the evidence records its rules read, and assay's own code.
The key of an entry is a digest of all of them (see `assay.check.engine`), so an
entry is either exactly right or never looked up.

Layout (format v1), every file written through a temporary file and a rename, so
concurrent runs see an old file or a new one, never half of one:

    .assay/cache/.gitignore                 "*": the cache never shows in git status
    .assay/cache/secret                     the key of this cache's MACs
    .assay/cache/v1/entries/ab/<key>        one file's outcome, by key (256 folders: a cold run of
                                            10,000 files makes 256 folders, not 10,000)
    .assay/cache/v1/index                   path -> stat signature and git blob id
    .assay/cache/v1/snapshots/<context>     every outcome of the last run in a context

Each file starts with a header line `<format> <name> <mac>`: the MAC (keyed BLAKE2b)
covers the format, the name the reader asked for, and the JSON body. A file that
does not verify (bytes flipped, truncated, written under another name, or by a
cache with another secret) is ignored and recomputed, never trusted. Set
ASSAY_CACHE_SECRET where the cache folder itself may be written by someone else
(a CI cache restored from another branch): entries then verify only under that secret.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.util
import itertools
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.check.codec import Codec

__all__ = ["Codec", "ResultCache", "code_fingerprint"]  # Codec (assay.check.codec) is how entries encode outcomes

FORMAT = "assay-cache/1"
CACHE_FOLDER = ".assay/cache"
SECRET_VARIABLE = "ASSAY_CACHE_SECRET"
MAX_AGE_SECONDS = 7 * 24 * 3600
PRUNE_EVERY_SECONDS = 24 * 3600
KEEP_SNAPSHOTS = 8
# Packages whose behaviour decides diagnostics: a new version of any of them is a new cache.
DEPENDENCIES = ("jsonschema", "jsonschema_rs", "referencing", "jinja2", "yaml", "cel", "cel_expr_python", "rfc8785", "securesystemslib")


class ResultCache:
    """Entries, the stat index and snapshots of one repository's cache folder."""

    def __init__(self, folder: Path, secret: bytes) -> None:
        self.folder = folder
        self.data = folder / "v1"
        self._entries = str(self.data / "entries")
        self._key = hashlib.sha256(secret).digest()
        self.rejected = 0  # files that existed but did not verify (for tests and --debug)
        self.written = 0

    @classmethod
    def open(cls, root: Path, environ: Mapping[str, str] | None = None) -> ResultCache | None:
        """The cache of the repository at `root`, created when missing; None when it cannot be written."""
        environ = os.environ if environ is None else environ
        folder = root / CACHE_FOLDER
        try:
            folder.mkdir(parents=True, exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():
                _write_atomic(ignore, b"# assay's result cache: never commit it\n*\n")
            configured = environ.get(SECRET_VARIABLE, "")
            secret = configured.encode() if configured else _local_secret(folder)
            if not os.access(folder, os.W_OK):
                return None
        except OSError:
            return None
        return cls(folder, secret)

    # Framing: a header line naming the format, the entry and its MAC, then the body.

    def _mac(self, name: str, body: bytes) -> str:
        mac = hashlib.blake2b(key=self._key, digest_size=32)
        mac.update(f"{FORMAT} {name}\n".encode())
        mac.update(body)
        return mac.hexdigest()

    def _frame(self, name: str, body: bytes) -> bytes:
        return f"{FORMAT} {name} {self._mac(name, body)}\n".encode() + body

    def _unframe(self, name: str, data: bytes) -> bytes | None:
        header, newline, body = data.partition(b"\n")
        parts = header.split(b" ")
        if not newline or len(parts) != 3 or parts[0] != FORMAT.encode() or parts[1] != name.encode():
            return None
        if not hmac.compare_digest(parts[2], self._mac(name, body).encode()):
            return None
        return body

    def load(self, path: str | Path, name: str) -> Any | None:
        """The JSON value stored at `path` under `name`, or None when absent or not verifiable."""
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except OSError:
            return None
        body = self._unframe(name, data)
        if body is None:
            self.rejected += 1
            return None
        try:
            return json.loads(body)
        except ValueError:
            self.rejected += 1
            return None

    def store(self, path: str | Path, name: str, value: Any) -> None:
        """Write `value` at `path` under `name`; a cache that cannot be written is only slower."""
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode()
        with contextlib.suppress(OSError):
            _write_atomic(path, self._frame(name, body))
            self.written += 1

    # Where things live.

    def entry_path(self, key: str) -> str:
        return f"{self._entries}/{key[:2]}/{key}"

    @property
    def index_path(self) -> Path:
        return self.data / "index"

    def snapshot_path(self, context: str) -> Path:
        return self.data / "snapshots" / context

    def prune(self, now: float | None = None) -> None:
        """At most once a day: delete entries and snapshots unused for a week, and stray temporary files."""
        now = time.time() if now is None else now
        stamp = self.data / "pruned"
        try:
            if now - stamp.stat().st_mtime < PRUNE_EVERY_SECONDS:
                return
        except FileNotFoundError:
            pass
        except OSError:
            return
        with contextlib.suppress(OSError):
            _write_atomic(stamp, b"")
        for folder, _dirs, names in os.walk(self.data / "entries"):
            for name in names:
                _remove_if_older(Path(folder) / name, now - (3600 if name.startswith(".tmp-") else MAX_AGE_SECONDS))
        snapshots = sorted(self.data.glob("snapshots/*"), key=_mtime, reverse=True)
        for index, path in enumerate(snapshots):
            _remove_if_older(path, now if index >= KEEP_SNAPSHOTS else now - MAX_AGE_SECONDS)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _remove_if_older(path: Path, cutoff: float) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_mtime < cutoff:
            path.unlink()


_temporary_names = itertools.count()
_folders_made: set[str] = set()


def _ensure_folder(folder: str) -> None:
    """Create `folder` (and its parents) unless this process already knows it exists."""
    if folder in _folders_made:
        return
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
    _folders_made.add(folder)


def _write_atomic(path: str | Path, content: bytes) -> None:
    """Write through a temporary file in the same folder and a rename (no fsync: a torn entry fails its MAC).

    Written for 10,000 entries in a cold run: one mkdir per new folder, and a temporary name
    made of this process's id and a counter (O_EXCL settles any clash).
    """
    folder = os.path.dirname(path)
    _ensure_folder(folder)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    while True:
        temporary = os.path.join(folder, f".tmp-{os.getpid()}-{next(_temporary_names)}")
        try:
            handle = os.open(temporary, flags, 0o600)
            break
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
        except FileExistsError:
            continue
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _local_secret(folder: Path) -> bytes:
    """This cache's random MAC key, created once; concurrent first runs agree on one (link, not overwrite)."""
    path = folder / "secret"
    with contextlib.suppress(FileNotFoundError):
        existing = path.read_bytes().strip()
        if len(existing) >= 32:
            return existing
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(secrets.token_hex(32).encode())
        try:
            os.link(temporary, path)
        except FileExistsError:
            if len(path.read_bytes().strip()) < 32:  # a damaged secret: replace it (old entries stop verifying)
                os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    return path.read_bytes().strip()


@functools.cache
def code_fingerprint() -> str:
    """A digest of the code that judges: assay's version and files, Python's version, key dependencies' files.

    An editable install changes code without changing its version; stat data (size and
    modification time) of every file of the package catches that for the price of a
    folder walk.
    """
    import assay

    digest = hashlib.sha256(f"{assay.__version__}\n{sys.version}\n".encode())
    package = Path(assay.__file__).resolve().parent
    for folder, dirs, names in sorted(os.walk(package)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".json", ".yaml", ".so", ".pyd")):
                _add_stat(digest, Path(folder) / name, package)
    for module in DEPENDENCIES:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        digest.update(f"{module}:".encode())
        if origin:
            _add_stat(digest, Path(origin), None)
    return digest.hexdigest()


def _add_stat(digest: Any, path: Path, base: Path | None) -> None:
    try:
        stat = path.stat()
    except OSError:
        digest.update(f"{path}:missing\n".encode())
        return
    name = path.relative_to(base).as_posix() if base is not None else str(path)
    digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
