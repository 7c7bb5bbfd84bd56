"""The example models' data regenerate byte for byte, and their specs pin those bytes."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import yaml

from support import REPO_ROOT


def test_generator_reproduces_the_shipped_data() -> None:
    done = subprocess.run(
        [sys.executable, "tools/generate_example_data.py", "--check"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_specs_pin_their_data() -> None:
    specs = sorted(REPO_ROOT.glob("models/*/model.yaml"))
    assert len(specs) == 4
    for path in specs:
        spec = yaml.safe_load(path.read_text())
        for role in ("train", "outOfTime"):
            source = spec["data"][role]
            content = (REPO_ROOT / source["uri"]).read_bytes()
            assert hashlib.sha256(content).hexdigest() == source["sha256"], (path, role)
            assert content.count(b"\n") - 1 == source["rows"], (path, role)
