"""Monitoring results in the audit: each signed result in the timeline, and the score's PSI charted across batches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support import AUDITED_MODEL as MODEL
from support import REPO_ROOT, AuditedHistory, audit_assay, audit_git, run_assay_process

BATCHES = ("batch-2026-10.csv", "batch-2026-11-shifted.csv")


def test_monitoring_results_are_audited_and_charted(repo: Path, history: AuditedHistory, tmp_path: Path) -> None:
    audit_git(repo, "reset", "-q", "--hard", history.commits["promotion"])
    folder = repo / "models" / MODEL / "monitoring"
    folder.mkdir()
    for batch in BATCHES:
        shutil.copy(REPO_ROOT / "models" / MODEL / "monitoring" / batch, folder / batch)
    audit_git(repo, "add", "-A")
    audit_git(repo, "commit", "-q", "-m", "production batches")
    key = str(history.keys / "runner.pem")
    for batch, code in zip(BATCHES, (0, 1), strict=True):
        data = f"models/{MODEL}/monitoring/{batch}"
        audit_assay(repo, "monitor", MODEL, "--data", data, "--labels", "responded", "--commit", "--key", key, code=code)
    done = run_assay_process("audit", MODEL, "--format", "json", cwd=repo)
    assert done.returncode == 0, done.stderr
    monitors = [e for e in json.loads(done.stdout)["entries"] if e["kind"] == "monitor"]
    assert [e["status"] for e in monitors] == ["verified", "verified"]
    calm, shifted = (e["data"] for e in monitors)
    assert calm["psi"] < 0.1 and shifted["psi"] > 0.25 and shifted["verdict"] == "alert"
    assert any(name.startswith("bureau_score") for name in shifted["drifting"])
    page = tmp_path / "audit.html"
    assert run_assay_process("audit", MODEL, "--format", "html", "-o", str(page), cwd=repo).returncode == 0
    html = page.read_text()
    assert 'id="chart-drift"' in html and "PSI alert 0.25" in html
