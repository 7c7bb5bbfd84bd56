"""`assay monitor` end to end on a real git repository holding a signed run of marketing-propensity."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support import assay_expect as assay
from support import repository_copy, run_assay_process, start_signed_repository

MODEL = "marketing-propensity"
STABLE = f"models/{MODEL}/monitoring/batch-2026-10.csv"
SHIFTED = f"models/{MODEL}/monitoring/batch-2026-11-shifted.csv"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The marketing model and its monitoring batches, a runner key, and one committed signed run."""
    root = tmp_path_factory.mktemp("repo")
    keys = tmp_path_factory.mktemp("keys")

    def commit() -> None:
        git(root, "config", "user.name", "Bot")
        git(root, "config", "user.email", "bot@examplebank.com")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "model, batches and trust root")

    start_signed_repository(root, keys, MODEL, (("runner", "bot@examplebank.com", "runner"),), commit=commit)
    assay(root, "run", MODEL, "--commit", "--key", str(keys / "runner.pem"), "--quiet")
    return root, keys


@pytest.fixture
def repo(origin: tuple[Path, Path], tmp_path: Path) -> Path:
    return repository_copy(origin[0], tmp_path)


def monitor(root: Path, batch: str, *extra: str, code: int) -> dict[str, Any]:
    done = assay(root, "monitor", MODEL, "--data", batch, "--labels", "responded", "--format", "json", *extra, code=code)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def records(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "evidence" / MODEL / "records").glob("*.dsse.json"))


def verify(root: Path) -> tuple[int, dict[str, Any]]:
    done = run_assay_process("verify", MODEL, "--format", "json", cwd=root)
    report: dict[str, Any] = json.loads(done.stdout)[MODEL]
    return done.returncode, report


def test_shifted_batch_alerts_and_names_the_features_that_moved_in_order(origin: tuple[Path, Path]) -> None:
    report = monitor(origin[0], SHIFTED, code=1)
    assert report["verdict"] == "alert"
    assert [entry["name"] for entry in report["drifting"]] == ["bureau_score", "estimated_income"]
    assert [entry["level"] for entry in report["drifting"]] == ["alert", "alert"]
    assert report["drifting"][0]["value"] > report["drifting"][1]["value"] > 0.25
    assert report["csi"]["bureau_score"] == report["drifting"][0]["value"]
    assert report["psi"] == report["score"]["psi"] and report["psi"] > 0.25
    assert "score psi" in report["alerts"][0] and "feature bureau_score csi" in report["alerts"][1]
    assert report["batch"]["window"] == {"column": "campaign_date", "start": "2026-11-01", "end": "2026-11-30"}
    # The score's baseline is the held-out test rows, the features' the training rows (decision 0008).
    assert report["referenceRows"] == report["baseline"]["rows"]["features"] == 13500
    assert report["baseline"]["rows"]["score"] == 4500
    assert report["evidence"] is None
    performance = report["performance"]
    assert performance["n"] == 3000 and performance["reference"]["dataset"] == "test"
    assert performance["floor"]["metric"] == "auc" and performance["floor"]["level"] == "ok"
    text = assay(origin[0], "monitor", MODEL, "--data", SHIFTED, code=1).stdout
    assert text.startswith(f"{MODEL} 0.4.0: ALERT")
    assert text.index("1. bureau_score") < text.index("2. estimated_income")
    assert "escalate to Jessica Park <jessica.park@examplebank.com>" in text


def test_stable_batch_passes(origin: tuple[Path, Path]) -> None:
    report = monitor(origin[0], STABLE, code=0)
    assert report["verdict"] == "ok" and report["drifting"] == [] and report["alerts"] == []
    assert report["psi"] < 0.1 and max(report["csi"].values()) < 0.1
    markdown = assay(origin[0], "monitor", MODEL, "--data", STABLE, "--format", "markdown").stdout
    assert markdown.startswith(f"## Monitoring: {MODEL} 0.4.0: **OK**")
    assert "| `bureau_score` |" in markdown


def test_committed_results_verify_and_grow_the_chain(repo: Path, origin: tuple[Path, Path]) -> None:
    origin_keys = origin[1] / "runner.pem"
    before = records(repo)
    shifted = monitor(repo, SHIFTED, "--commit", "--key", str(origin_keys), code=1)
    stable = monitor(repo, STABLE, "--commit", "--key", str(origin_keys), code=0)
    assert records(repo) == [*before, "0003-monitor.dsse.json", "0004-monitor.dsse.json"]
    assert shifted["evidence"]["record"].endswith("0003-monitor.dsse.json")
    published = repo / shifted["evidence"]["report"]
    assert published.relative_to(repo).as_posix() == f"evidence/{MODEL}/monitoring/{shifted['batch']['sha256']}/report.json"
    on_disk = json.loads(published.read_text())
    assert on_disk["psi"] == shifted["psi"] and on_disk["csi"] == shifted["csi"] and "evidence" not in on_disk
    statement = json.loads(base64.b64decode(json.loads((repo / shifted["evidence"]["record"]).read_text())["payload"]))
    assert statement["predicateType"] == "https://in-toto.io/attestation/test-result/v0.1"
    assert statement["predicate"]["result"] == "FAILED"
    assert "drift:feature:bureau_score:csi" in statement["predicate"]["failedTests"]
    assert statement["subject"][0]["name"] == shifted["evidence"]["report"]
    assert git(repo, "status", "--porcelain", "--", "evidence") == ""
    assert git(repo, "log", "-1", "--format=%s").strip() == f"evidence({MODEL}): monitor batch-2026-10.csv PASSED"
    assert stable["evidence"]["commit"] == git(repo, "rev-parse", "HEAD").strip()
    code, report = verify(repo)
    assert code == 0, report["findings"]
    assert len(report["records"]) == 4
    # A monitor record is not the run's test record: promotion still reads the gates.
    assay(repo, "promote", MODEL, "--env", "staging", "--key", str(origin_keys))
    # Monitoring the same batch again gives the same report bytes; only a new record is added.
    again = monitor(repo, STABLE, "--commit", "--key", str(origin_keys), code=0)
    assert again["evidence"]["report"] == stable["evidence"]["report"]
    # A published report that is changed no longer verifies.
    published.write_text(published.read_text().replace('"verdict": "alert"', '"verdict": "ok"'))
    code, report = verify(repo)
    assert code == 1
    assert any(f["path"] == shifted["evidence"]["report"] and "changed" in f["message"] for f in report["findings"])


def test_tampered_baseline_is_refused(repo: Path) -> None:
    baseline = next((repo / "evidence" / MODEL / "runs").glob("*/reports/baseline.json"))
    baseline.write_text(baseline.read_text().replace('"epsilon": 0.0001', '"epsilon": 0.001'))
    done = assay(repo, "monitor", MODEL, "--data", STABLE, code=1)
    assert "baseline" in done.stderr and "refused" in done.stderr and done.stdout == ""


def test_model_changed_in_the_store_is_refused(repo: Path) -> None:
    report = monitor(repo, STABLE, code=0)
    digest = report["modelPackage"]["sha256"]
    stored = repo / ".assay" / "store" / "sha256" / digest[:2] / digest[2:]
    stored.write_bytes(stored.read_bytes() + b"x")
    done = assay(repo, "monitor", MODEL, "--data", STABLE, code=1)
    assert "refused" in done.stderr and done.stdout == ""


def test_model_absent_from_the_store_is_refused(repo: Path) -> None:
    shutil.rmtree(repo / ".assay")
    done = assay(repo, "monitor", MODEL, "--data", STABLE, code=2)
    assert "not in the local store" in done.stderr


def test_batch_outside_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "batch.csv"
    shutil.copy(repo / STABLE, outside)
    done = assay(repo, "monitor", MODEL, "--data", str(outside), code=2)
    assert "outside the repository" in done.stderr


def test_batch_without_the_features_is_refused(repo: Path) -> None:
    lines = (repo / STABLE).read_text().splitlines()
    (repo / "thin.csv").write_text("\n".join(line.rsplit(",", 5)[0] for line in lines) + "\n")
    done = assay(repo, "monitor", MODEL, "--data", "thin.csv", code=2)
    assert "are not columns of the batch" in done.stderr


def _training(root: Path) -> Any:
    from assay.cli.evidence_support import load_trust
    from assay.cli.monitor_sources import latest_training_run
    from assay.cli.repository import open_worktree

    worktree = open_worktree(root)
    return latest_training_run(root, worktree, load_trust(worktree), MODEL)


def test_score_ks_is_measured_against_the_held_out_scores(origin: tuple[Path, Path]) -> None:
    import numpy as np
    import pandas as pd
    from scipy.stats import ks_2samp

    from assay.cli.monitor_sources import load_model
    from assay.run.metrics import json_float

    root = origin[0]
    training = _training(root)
    assert training.run.baseline["rows"] == {"score": "split/test", "features": "split/train"}
    digest = training.byproducts["scores/test"]
    held_out = np.load(root / ".assay" / "store" / "sha256" / digest[:2] / digest[2:], allow_pickle=False)
    assert training.run.baseline["score"]["n"] == held_out.shape[0] == 4500
    pipeline = load_model(root, training.run)
    features = [f["name"] for f in training.run.spec["data"]["features"]]
    categorical = [f["name"] for f in training.run.spec["data"]["features"] if f["type"] != "numeric"]
    batch = pd.read_csv(root / STABLE, dtype=dict.fromkeys(categorical, object))
    expected = json_float(ks_2samp(held_out, pipeline.predict_proba(batch[features])[:, 1]).statistic)
    assert monitor(root, STABLE, code=0)["score"]["ks"] == expected


def test_a_baseline_binned_before_decision_0008_is_compared_with_the_training_rows_scores(origin: tuple[Path, Path]) -> None:
    import dataclasses

    from assay.cli.monitor_sources import load_model, load_reference

    root = origin[0]
    training = _training(root)
    legacy = {key: value for key, value in training.run.baseline.items() if key != "rows"}
    older = dataclasses.replace(training, run=dataclasses.replace(training.run, baseline=legacy))
    pipeline = load_model(root, training.run)
    current, earlier = load_reference(root, training, pipeline), load_reference(root, older, pipeline)
    assert current is not None and earlier is not None
    assert current.scores.shape[0] == 4500 and earlier.scores.shape[0] == len(earlier.frame) == 13500
