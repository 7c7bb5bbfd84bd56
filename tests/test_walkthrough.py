"""The README's first command: the example walked through check, plan, signed run, verify, approve and promote."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO_ROOT


@pytest.mark.slow
def test_walkthrough_runs_the_whole_flow(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", str(REPO_ROOT / "examples" / "walkthrough.sh"), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "marketing-propensity: passed" in done.stdout
    assert "consumer-credit-pd: FAILED (gates passed, fairness fail)" in done.stdout
    assert "promoted plan" in done.stdout
    assert done.stdout.count("verified (") >= 4
    assert 'Good "git" signature for bot@examplebank.com' in done.stdout
    assert "Traceback" not in done.stderr
    assert (tmp_path / "repo" / "deploy" / "production" / "marketing-propensity" / "promotion.json").is_file()
