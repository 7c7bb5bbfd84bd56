"""Where a run's artifacts live: a folder per plan digest, atomic writes, and step records.

A step's outputs are written atomically, then a record naming the sha256 of each
input it read and each output it wrote is written last (`steps/<name>.json`). A
later run treats a step as done only when its record exists, its inputs are still
those digests, and every output still has the recorded digest, so a run killed at
any point leaves nothing that a later step could mistake for complete, and a step
whose input was redone with different bytes is redone too.

Files in the run folder are written through a temporary file and a rename, but not
fsynced one by one: a killed process loses nothing the page cache holds, and after
a power loss no file is trusted unverified, since `completed` rehashes every output
against its record (a torn record does not parse). Only `run.json`, the mark of a
finished run that other commands read, is fsynced (`assay.output.write_atomic`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from assay.output import write_atomic

RUNS_FOLDER = ".assay/runs"
STORE_FOLDER = ".assay/store/sha256"
LOCK_FILE = ".lock"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_replacing(path: Path, content: bytes) -> None:
    """Write `content` to `path` atomically, without fsync (see the module docstring: outputs are rehashed on resume)."""
    write_atomic(path, content, durable=False)


def json_bytes(value: Any) -> bytes:
    """Reports as stable, readable JSON: sorted keys, two-space indent, a final newline."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode()


class MissingOutput(RuntimeError):
    """A step did not write an output its plan step declares: a bug in assay, not a problem of the machine or the spec."""


class Workspace:
    """Reads a step's inputs from `inputs` and writes its outputs to `outputs` (the same folder for a whole run)."""

    def __init__(self, inputs: Path, outputs: Path) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self._cache: dict[str, Any] = {}
        self._written: dict[str, str] = {}  # sha256 of what write_bytes wrote, by name: no need to read it back

    def path(self, name: str) -> Path:
        return self.inputs / name

    def read_json(self, name: str) -> Any:
        return json.loads(self.path(name).read_text())

    def write_bytes(self, name: str, content: bytes) -> None:
        write_replacing(self.outputs / name, content)
        self._written[name] = hashlib.sha256(content).hexdigest()

    def write_json(self, name: str, value: Any) -> None:
        self.write_bytes(name, json_bytes(value))

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """An object derived from inputs (a parsed frame, a loaded model), computed once per process."""
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def remember(self, key: str, value: Any) -> None:
        self._cache[key] = value

    def forget(self, prefix: str) -> None:
        """Drop every cached object whose key starts with `prefix` (a source's bytes, once the load step is past)."""
        for key in [key for key in self._cache if key.startswith(prefix)]:
            del self._cache[key]

    def output_digests(self, outputs: Sequence[str]) -> dict[str, str]:
        """sha256 of every file of the declared `outputs` (a folder output, "package/", by each file in it)."""
        digests = {}
        for name in outputs:
            target = self.outputs / name.rstrip("/")
            if name.endswith("/") or target.is_dir():
                files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else []
                if not files:
                    raise MissingOutput(f"declared output folder '{name}' was not written")
            elif target.is_file():
                files = [target]
            else:
                raise MissingOutput(f"declared output '{name}' was not written")
            for file in files:
                relative = file.relative_to(self.outputs).as_posix()
                digests[relative] = self._written.pop(relative, "") or sha256_file(file)
        return digests

    def record_step(
        self, step: str, outputs: Sequence[str], seconds: float, inputs: Mapping[str, str], cpu_seconds: float = 0.0
    ) -> dict[str, Any]:
        """Write the step's record, last: the digest of every input it read and every output it wrote, and its wall and CPU time."""
        record = {
            "step": step,
            "inputs": dict(sorted(inputs.items())),
            "outputs": self.output_digests(outputs),
            "seconds": round(seconds, 3),
            "cpuSeconds": round(cpu_seconds, 3),
        }
        write_replacing(self.outputs / "steps" / f"{step}.json", json_bytes(record))
        return record

    def completed(self, step: str, inputs: Mapping[str, str]) -> Mapping[str, Any] | None:
        """The step's record when it read exactly these `inputs` and every output still has its recorded digest."""
        record_path = self.outputs / "steps" / f"{step}.json"
        if not record_path.is_file():
            return None
        try:
            record = json.loads(record_path.read_text())
        except ValueError:
            return None
        if not isinstance(record, dict) or record.get("inputs") != dict(inputs) or not isinstance(record.get("outputs"), dict):
            return None
        for name, digest in record["outputs"].items():
            path = self.outputs / name
            if not path.is_file() or sha256_file(path) != digest:
                return None
        return record


def store_artifacts(root: Path, run_folder: Path, digests: Mapping[str, str]) -> None:
    """Copy each artifact into the content-addressed store, by sha256 (existing objects are kept).

    Each copy goes through its own temporary file, so runs of different models that
    store the same object at the same time (a shared requirements.txt) do not collide.
    """
    for name, digest in digests.items():
        target = root / STORE_FOLDER / digest[:2] / digest[2:]
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{digest[2:18]}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream, open(run_folder / name, "rb") as source:
                shutil.copyfileobj(source, stream, 1 << 20)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def run_folder_lock(folder: Path) -> Iterator[None]:
    """Hold the run folder for one process: a second run of the same plan waits, then finds the steps done.

    Inside the lock, leftovers of a killed run (temporary files of atomic writes,
    half-built package folders) are removed; they are never outputs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            _remove_leftovers(folder)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(folder: Path) -> None:
    leftovers = [p for p in folder.rglob(".*") if p.name != LOCK_FILE and p.name.endswith((".tmp", ".partial", ".partial.old"))]
    for path in sorted(leftovers, key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink(missing_ok=True)
