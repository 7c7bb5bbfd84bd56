"""Helpers shared by the tests: the repository root, running the real CLI, and temp repositories."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_SCHEMAS = REPO_ROOT.parent / "shared" / "schemas"

RunAssay = Callable[..., subprocess.CompletedProcess[str]]


def run_assay_process(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m assay ARGS` with the test interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "assay", *args],
        cwd=cwd or REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def write_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a model repository under `root` with an assay.yaml and the given files."""
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\n")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root
