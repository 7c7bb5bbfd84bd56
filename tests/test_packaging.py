"""The wheel carries the schemas: build it, install it into a fresh virtual environment,
and check the examples from outside the checkout, with no schemas/ folder beside them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from support import REPO_ROOT


@pytest.mark.slow
def test_wheel_installs_and_checks_examples_outside_the_checkout(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO_ROOT)], check=True, capture_output=True)
    (wheel,) = dist.glob("assay-*.whl")

    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True)

    examples = tmp_path / "examples"
    shutil.copytree(REPO_ROOT / "models", examples / "models", ignore=shutil.ignore_patterns("*.csv", "*.parquet"))
    shutil.copy(REPO_ROOT / "assay.yaml", examples / "assay.yaml")
    assert not (examples / "schemas").exists()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in ([str(env_dir / "bin" / "assay")], [str(python), "-m", "assay"]):
        done = subprocess.run([*command, "check", "--repo", str(examples)], cwd=elsewhere, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "0 errors" in done.stdout

    listing = subprocess.run(
        [
            str(python),
            "-c",
            "import assay, pathlib; print(sorted(p.name for p in (pathlib.Path(assay.__file__).parent / 'schemas').iterdir()))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    for schema in REPO_ROOT.glob("schemas/*.schema.json"):
        assert schema.name in listing.stdout
