"""Where a run's artifacts live: a folder per plan digest, atomic writes, and step records.

A step's outputs are written atomically, then a record naming each output's sha256
is written last (`steps/<name>.json`). A later run treats a step as done only when
its record exists and every output still has the recorded digest, so a run killed
at any point leaves nothing that a later step could mistake for complete.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from assay.output import write_atomic

RUNS_FOLDER = ".assay/runs"
STORE_FOLDER = ".assay/store/sha256"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def json_bytes(value: Any) -> bytes:
    """Reports as stable, readable JSON: sorted keys, two-space indent, a final newline."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode()


class Workspace:
    """Reads a step's inputs from `inputs` and writes its outputs to `outputs` (the same folder for a whole run)."""

    def __init__(self, inputs: Path, outputs: Path) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self._cache: dict[str, Any] = {}

    def path(self, name: str) -> Path:
        return self.inputs / name

    def read_json(self, name: str) -> Any:
        return json.loads(self.path(name).read_text())

    def write_bytes(self, name: str, content: bytes) -> None:
        write_atomic(self.outputs / name, content)

    def write_json(self, name: str, value: Any) -> None:
        self.write_bytes(name, json_bytes(value))

    def cached(self, key: str, load: Callable[[], Any]) -> Any:
        """An object derived from inputs (a parsed frame, a loaded model), computed once per process."""
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def remember(self, key: str, value: Any) -> None:
        self._cache[key] = value

    def record_step(self, step: str, outputs: list[str], seconds: float) -> dict[str, Any]:
        digests = {}
        for name in outputs:
            target = self.outputs / name
            files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
            for file in files:
                digests[file.relative_to(self.outputs).as_posix()] = sha256_file(file)
        record = {"step": step, "outputs": digests, "seconds": round(seconds, 3)}
        write_atomic(self.outputs / "steps" / f"{step}.json", json_bytes(record))
        return record

    def completed(self, step: str) -> Mapping[str, Any] | None:
        """The step's record when it exists and every output still has its recorded digest."""
        record_path = self.outputs / "steps" / f"{step}.json"
        if not record_path.is_file():
            return None
        try:
            record = json.loads(record_path.read_text())
        except ValueError:
            return None
        for name, digest in record.get("outputs", {}).items():
            path = self.outputs / name
            if not path.is_file() or sha256_file(path) != digest:
                return None
        return dict(record)


def store_artifacts(root: Path, run_folder: Path, digests: Mapping[str, str]) -> None:
    """Copy each artifact into the content-addressed store, by sha256 (existing objects are kept)."""
    for name, digest in digests.items():
        target = root / STORE_FOLDER / digest[:2] / digest[2:]
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".tmp")
        shutil.copyfile(run_folder / name, temporary)
        temporary.replace(target)
