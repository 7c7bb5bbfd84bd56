"""`assay run` end to end on the shipped examples: real fits, through the real command line.

The module copies the repository (assay.yaml, policies/, models/ with their data)
into a temporary folder once and runs the four examples there; tests that change
the repository (tampered data, an edited spec, a killed run) work on copies of
their own. Each proves one point of the runner's definition of done.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from support import REPO_ROOT, run_assay_process

MODELS = ("consumer-credit-pd", "card-fraud-detection", "aml-alert-scoring", "marketing-propensity")
FAIRNESS = {"consumer-credit-pd": "fail", "card-fraud-detection": "fail", "aml-alert-scoring": "fail", "marketing-propensity": "pass"}
CREDIT = "consumer-credit-pd"


def copy_repo(root: Path, models: tuple[str, ...] = MODELS) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "assay.yaml", root / "assay.yaml")
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    for model in models:
        shutil.copytree(REPO_ROOT / "models" / model, root / "models" / model)
    return root


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_json(repo: Path, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    """`assay run ARGS --format json`: exit code, the summaries, standard error."""
    result = run_assay_process("run", *args, "--format", "json", cwd=repo)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def load_spec(repo: Path, model: str) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((repo / "models" / model / "model.yaml").read_text())
    return spec


def read_source(repo: Path, model: str, role: str) -> pd.DataFrame:
    """A data file read independently of assay: pandas, categorical columns as text."""
    spec = load_spec(repo, model)
    categorical = [f["name"] for f in spec["data"]["features"] if f["type"] != "numeric"]
    return pd.read_csv(repo / spec["data"][role]["uri"], dtype=dict.fromkeys(categorical, object))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_repo(tmp_path_factory.mktemp("examples"))
    result = run_assay_process("plan", "--out", "plans", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.fixture(scope="module")
def runs(repo: Path) -> dict[str, dict[str, Any]]:
    """The four examples, each run by its own `assay run MODEL --format json` (two at a time)."""

    def run(model: str) -> dict[str, Any]:
        code, summaries, _ = run_json(repo, model)
        assert len(summaries) == 1
        folder = Path(summaries[0]["folder"])
        return {"code": code, "summary": summaries[0], "folder": folder, "record": json.loads((folder / "run.json").read_text())}

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(MODELS, pool.map(run, MODELS), strict=True))


# 1. The four examples run end to end.


@pytest.mark.parametrize("model", MODELS)
def test_example_runs_end_to_end(model: str, repo: Path, runs: dict[str, dict[str, Any]]) -> None:
    run = runs[model]
    summary, record, folder = run["summary"], run["record"], run["folder"]
    assert summary["failure"] is None
    assert summary["gatesPassed"] is True
    assert summary["fairness"] == FAIRNESS[model]
    assert run["code"] == (0 if FAIRNESS[model] == "pass" else 1)
    assert record["outputs"] == summary["outputs"]
    plan = json.loads((repo / "plans" / model / "plan.json").read_text())
    assert folder.name == plan_digest(repo, model)
    for step in plan["training"]["steps"]:
        for declared in step["outputs"]:
            written = [name for name in record["outputs"] if name == declared or (declared.endswith("/") and name.startswith(declared))]
            assert written, f"{model}: declared output {declared} of {step['name']} is not in run.json"
    for name, digest in record["outputs"].items():
        assert sha256(folder / name) == digest, name
        stored = repo / ".assay" / "store" / "sha256" / digest[:2] / digest[2:]
        assert stored.read_bytes() == (folder / name).read_bytes()
    spec = load_spec(repo, model)
    assert record["outputs"]["data/train"] == spec["data"]["train"]["sha256"]
    assert record["outputs"]["data/outOfTime"] == spec["data"]["outOfTime"]["sha256"]
    assert record["outputs"]["package/model.skops"] == record["outputs"]["model/estimator"]
    metrics = json.loads((folder / "reports/metrics.json").read_text())
    assert metrics["passed"] is True and all(gate["passed"] for gate in metrics["gates"])
    explain = next(step for step in plan["training"]["steps"] if step["name"] == "explain")
    assert "split/train" in explain["inputs"]  # each feature's anchor is taken on the training rows, not the rows explained
    assert json.loads((folder / "reports/explanations.json").read_text())["referenceRows"] == "split/train"


def plan_digest(repo: Path, model: str) -> str:
    return (repo / "plans" / model / "plan.digest").read_text().split()[0]


# 2. Tampered data stops the run at load.


def test_tampered_data_stops_at_load(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo", (CREDIT,))
    with open(repo / "models" / CREDIT / "data" / "train.csv", "ab") as stream:
        stream.write(b"\n")
    code, summaries, _ = run_json(repo, CREDIT)
    assert code == 1
    failure = summaries[0]["failure"]
    assert failure.startswith("load: ") and "sha256" in failure and "96a8b4427e1738ae" in failure
    folder = Path(summaries[0]["folder"])
    assert not (folder / "model").exists()
    assert not (folder / "steps" / "fit.json").exists()
    assert not (folder / "run.json").exists()
    text = run_assay_process("run", CREDIT, cwd=repo)
    assert text.returncode == 1 and "STOPPED at load" in text.stdout and "sha256" in text.stdout


# 3. A non-allowlisted estimator is refused before anything is imported.


def test_schema_refuses_an_estimator_outside_the_allowlist(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo", (CREDIT,))
    spec_path = repo / "models" / CREDIT / "model.yaml"
    spec_path.write_text(spec_path.read_text().replace("class: LogisticRegression", "class: os.system"))
    result = run_assay_process("run", CREDIT, cwd=repo)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "S004" in output and "os.system" in output
    assert "fix these problems first" in result.stderr and "Traceback" not in output
    assert not (repo / ".assay").exists()


def test_estimator_class_refuses_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.run.estimators import EstimatorRefused, estimator_class

    def forbidden(*_: Any) -> int:
        raise AssertionError("os.system was called")

    monkeypatch.setattr(os, "system", forbidden)
    for name in ("sklearn.svm.SVC", "os.system", "builtins.eval", "SVC", "sklearn.linear_model.LogisticRegression"):
        before = set(sys.modules)
        with pytest.raises(EstimatorRefused, match="nothing was imported"):
            estimator_class(name)
        assert set(sys.modules) == before, f"{name}: imported {sorted(set(sys.modules) - before)}"


def test_estimator_class_refuses_in_a_fresh_interpreter() -> None:
    """In a process that has not imported sklearn.svm, refusing 'sklearn.svm.SVC' does not import it either."""
    script = """
import json, os, sys
from assay.run.estimators import EstimatorRefused, estimator_class
calls = []
os.system = lambda *args: calls.append(args) or 0
refused = []
for name in ("sklearn.svm.SVC", "os.system"):
    before = set(sys.modules)
    try:
        estimator_class(name)
    except EstimatorRefused:
        refused.append(name)
    assert set(sys.modules) == before, sorted(set(sys.modules) - before)
print(json.dumps({"refused": refused, "calls": calls, "svm": "sklearn.svm" in sys.modules}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"refused": ["sklearn.svm.SVC", "os.system"], "calls": [], "svm": False}


# 4. Metrics agree with scikit-learn computed independently; 5. the package predicts the same scores.


@pytest.fixture(scope="module")
def credit_test_rows(repo: Path, runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The credit test rows, re-derived from the spec's split with pandas and scikit-learn, and the run's scores."""
    spec = load_spec(repo, CREDIT)
    split = spec["training"]["split"]
    train = read_source(repo, CREDIT, "train")
    target = spec["data"]["target"]["name"]
    _, test = train_test_split(
        np.arange(len(train)), test_size=split["testSize"], random_state=split["seed"], stratify=train[target].to_numpy()
    )
    test = np.sort(test)
    folder = runs[CREDIT]["folder"]
    lines = (repo / spec["data"]["train"]["uri"]).read_bytes().split(b"\n")
    expected = b"\n".join([lines[0], *(lines[i + 1] for i in test)]) + b"\n"
    assert (folder / "split/test").read_bytes() == expected, "split/test is not the rows train_test_split chooses"
    features = [f["name"] for f in spec["data"]["features"]]
    oot = read_source(repo, CREDIT, "outOfTime")
    return {
        "X": train.iloc[test][features].reset_index(drop=True),
        "y": train[target].to_numpy()[test],
        "scores": np.load(folder / "scores/test"),
        "X_oot": oot[features],
        "y_oot": oot[target].to_numpy(),
        "scores_oot": np.load(folder / "scores/outOfTime"),
        "folder": folder,
    }


def six(value: float) -> float:
    return float(f"{value:.6g}")


def test_metrics_match_scikit_learn(credit_test_rows: dict[str, Any]) -> None:
    rows = credit_test_rows
    metrics = json.loads((rows["folder"] / "reports/metrics.json").read_text())["datasets"]
    for dataset, y, scores in (("test", rows["y"], rows["scores"]), ("outOfTime", rows["y_oot"], rows["scores_oot"])):
        reported = metrics[dataset]
        assert len(scores) == len(y) == reported["counts"]["n"]
        assert int(y.sum()) == reported["counts"]["events"]
        auc = roc_auc_score(y, scores)
        assert reported["auc"] == six(auc)
        assert reported["gini"] == six(2 * auc - 1)
        assert reported["brier"] == six(brier_score_loss(y, scores))
        assert reported["logLoss"] == six(log_loss(y, scores))
        fpr, tpr, _ = roc_curve(y, scores)
        assert reported["ks"] == six(float(np.max(tpr - fpr)))


def test_saved_model_predicts_the_scores(credit_test_rows: dict[str, Any]) -> None:
    from assay.run.package import load_trusted_model

    rows = credit_test_rows
    pipeline = load_trusted_model(rows["folder"] / "model/estimator")
    np.testing.assert_array_equal(pipeline.predict_proba(rows["X"])[:, 1], rows["scores"])
    np.testing.assert_array_equal(pipeline.predict_proba(rows["X_oot"])[:, 1], rows["scores_oot"])


def test_package_reloads_and_predicts_the_same_scores(credit_test_rows: dict[str, Any]) -> None:
    from assay.run.package import load_model_package

    rows = credit_test_rows
    package = rows["folder"] / "package"
    np.testing.assert_array_equal(load_model_package(package).predict_proba(rows["X"])[:, 1], rows["scores"])
    try:
        import mlflow.pyfunc
    except ImportError:
        pytest.skip("mlflow is not installed (a test-only dependency)")
    frame = rows["X"].copy()
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].astype("float64")
    served = mlflow.pyfunc.load_model(str(package)).predict(frame)
    np.testing.assert_array_equal(np.asarray(served, dtype=np.float64), rows["scores"])


# 6. The same plan gives the same bytes; 7. a killed run resumes, a torn write is redone.


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The credit model run again, in a fresh copy of the repository."""
    repo = copy_repo(tmp_path_factory.mktemp("again"), (CREDIT,))
    _, summaries, _ = run_json(repo, CREDIT)
    return {"folder": Path(summaries[0]["folder"]), "outputs": summaries[0]["outputs"], "repo": repo}


def test_the_same_plan_gives_the_same_bytes(runs: dict[str, dict[str, Any]], fresh_run: dict[str, Any]) -> None:
    first, second = runs[CREDIT], fresh_run
    assert second["folder"].name == first["folder"].name
    assert second["outputs"] == first["record"]["outputs"]
    for name in first["record"]["outputs"]:
        assert (second["folder"] / name).read_bytes() == (first["folder"] / name).read_bytes(), name
    assert (second["folder"] / "run.json").read_bytes() == (first["folder"] / "run.json").read_bytes()


def test_tree_models_serialise_to_the_same_bytes_fitted_or_loaded(tmp_path: Path) -> None:
    """Tree nodes are C structs with padding bytes that hold stray memory; the model file must not depend on them."""
    from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestClassifier

    from assay.run.model_file import load_trusted_model, model_bytes

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(600, 4)), columns=list("abcd"))
    y = (X["a"] + rng.normal(size=600) > 0).astype(int)
    for estimator in (RandomForestClassifier(n_estimators=20, random_state=0), GradientBoostingClassifier(n_estimators=20, random_state=0)):
        fitted = estimator.fit(X, y)
        content = model_bytes(fitted)
        (tmp_path / "model").write_bytes(content)
        assert model_bytes(load_trusted_model(tmp_path / "model")) == content, type(estimator).__name__
        assert model_bytes(fitted) == content
    hist = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    assert model_bytes(hist) == model_bytes(hist)


def test_a_killed_run_resumes_to_the_same_outputs(tmp_path: Path, runs: dict[str, dict[str, Any]]) -> None:
    repo = copy_repo(tmp_path / "repo", (CREDIT,))
    folder = repo / ".assay" / "runs" / runs[CREDIT]["folder"].name
    process = subprocess.Popen(
        [sys.executable, "-m", "assay", "run", CREDIT], cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while not (folder / "steps" / "fit.json").exists():
            assert process.poll() is None, "the run finished before it could be killed"
            assert time.monotonic() < deadline, "fit never finished"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not (folder / "run.json").exists()
    fit_record = (folder / "steps" / "fit.json").read_bytes()
    # What a kill in the middle of a write leaves behind: a temporary file, a half-built package.
    (folder / "reports").mkdir(exist_ok=True)
    (folder / "reports" / ".metrics.json.x1y2z3.tmp").write_bytes(b"{")
    (folder / ".package.x1y2z3.partial").mkdir()
    (folder / ".package.x1y2z3.partial" / "MLmodel").write_bytes(b"half")
    with ThreadPoolExecutor(max_workers=2) as pool:  # two resumptions at once: one waits for the other
        results = list(pool.map(lambda _: run_json(repo, CREDIT), range(2)))
    for code, summaries, _ in results:
        assert code == 1 and summaries[0]["failure"] is None
        assert summaries[0]["outputs"] == runs[CREDIT]["record"]["outputs"]
    assert (folder / "steps" / "fit.json").read_bytes() == fit_record, "fit was redone instead of resumed"
    assert not (folder / "reports" / ".metrics.json.x1y2z3.tmp").exists()
    assert not (folder / ".package.x1y2z3.partial").exists()


def test_a_torn_report_is_redone_with_the_same_bytes(fresh_run: dict[str, Any]) -> None:
    run = fresh_run
    folder = run["folder"]
    metrics = (folder / "reports/metrics.json").read_bytes()
    records = {step: (folder / "steps" / f"{step}.json").stat().st_mtime_ns for step in ("fit", "evaluate", "fairness", "package")}
    (folder / "reports/metrics.json").write_bytes(metrics[: len(metrics) // 2])
    code, summaries, _ = run_json(run["repo"], CREDIT)
    assert code == 1 and summaries[0]["failure"] is None
    assert (folder / "reports/metrics.json").read_bytes() == metrics
    assert summaries[0]["outputs"] == run["outputs"]
    after = {step: (folder / "steps" / f"{step}.json").stat().st_mtime_ns for step in records}
    assert after["evaluate"] != records["evaluate"], "evaluate was not redone"
    assert after["fit"] == records["fit"], "fit was redone"
    assert after["fairness"] == records["fairness"] and after["package"] == records["package"], "unchanged inputs were redone"


# 8. A stale saved plan is refused.


def test_a_saved_plan_is_accepted_while_current(repo: Path, runs: dict[str, dict[str, Any]]) -> None:
    result = run_assay_process("run", CREDIT, "--plan", f"plans/{CREDIT}/plan.json", "--format", "json", cwd=repo)
    assert result.returncode == 1, result.stderr
    assert "stale" not in result.stderr
    assert json.loads(result.stdout)[0]["outputs"] == runs[CREDIT]["record"]["outputs"]


def test_a_stale_saved_plan_is_refused(tmp_path: Path) -> None:
    repo = copy_repo(tmp_path / "repo", (CREDIT,))
    assert run_assay_process("plan", CREDIT, "--out", "plans", cwd=repo).returncode == 0
    spec_path = repo / "models" / CREDIT / "model.yaml"
    edited = spec_path.read_text().replace("      C: 0.5\n", "      C: 0.25\n")
    assert edited != spec_path.read_text()
    spec_path.write_text(edited)
    result = run_assay_process("run", CREDIT, "--plan", f"plans/{CREDIT}/plan.json", cwd=repo)
    assert result.returncode == 2
    assert "stale" in result.stderr
    assert not (repo / ".assay").exists()


# 9. Progress and the summary.


def test_quiet_json_summary_of_every_model(repo: Path, runs: dict[str, dict[str, Any]]) -> None:
    result = run_assay_process("run", *MODELS, "--quiet", "--format", "json", cwd=repo)
    assert result.returncode == 1
    assert result.stderr == ""
    summaries = json.loads(result.stdout)
    assert [summary["model"] for summary in summaries] == list(MODELS)
    for summary in summaries:
        assert set(summary) >= {"model", "plan", "folder", "passed", "gatesPassed", "fairness", "failure", "steps", "outputs"}
        assert summary["outputs"] == runs[summary["model"]]["record"]["outputs"]
        assert summary["passed"] is (summary["model"] == "marketing-propensity")
        assert [step["step"] for step in summary["steps"]][:4] == ["load", "validate-data", "split", "fit"]


def test_text_summary_names_the_verdicts(repo: Path, runs: dict[str, dict[str, Any]]) -> None:
    result = run_assay_process("run", CREDIT, "marketing-propensity", cwd=repo)
    assert result.returncode == 1
    assert result.stderr == ""  # progress goes to a terminal only
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{CREDIT}: FAILED (gates passed, fairness fail)")
    assert lines[1].startswith("marketing-propensity: passed (gates passed, fairness pass)")


# The pieces behind the points above, on small inputs.


def test_split_files_keep_csv_records_byte_for_byte() -> None:
    from assay.run.data import parse_table, select_rows

    content = b'id,note,y\r\n1,plain,0\r\n\r\n2,"two\nlines, quoted ""here""",1\r\n3,,0\r\n'
    chosen, single = select_rows(content, "csv", [[2, 1], [0]], 3)
    assert single == b"id,note,y\r\n1,plain,0\r\n"
    assert chosen == b'id,note,y\r\n3,,0\r\n2,"two\nlines, quoted ""here""",1\r\n'
    frame = parse_table(chosen, "csv", ["note"])
    full = parse_table(content, "csv", ["note"])
    pd.testing.assert_frame_equal(frame, full.iloc[[2, 1]].reset_index(drop=True))
    with pytest.raises(Exception, match="records"):
        select_rows(content, "csv", [[0]], 4)


def test_split_files_of_parquet_data(tmp_path: Path) -> None:
    from assay.run.data import parse_table, select_rows

    frame = pd.DataFrame({"x": [1.5, 2.0, np.nan, 4.0], "group": ["a", None, "b", "c"], "y": [0, 1, 0, 1]})
    frame.to_parquet(tmp_path / "data.parquet")
    content = (tmp_path / "data.parquet").read_bytes()
    chosen, none = select_rows(content, "parquet", [[1, 3], []], 4)
    assert [chosen] == select_rows(content, "parquet", [[1, 3]], 4)
    assert parse_table(none, "parquet", ["group"]).shape == (0, 3)
    full = parse_table(content, "parquet", ["group"])
    pd.testing.assert_frame_equal(parse_table(chosen, "parquet", ["group"]), full.iloc[[1, 3]].reset_index(drop=True))


def test_a_boolean_target_is_read_whatever_its_case() -> None:
    from assay.run.validate_data import target_vector

    spec = {"data": {"target": {"name": "event", "positiveClass": True}}}
    for text in (b"event\ntrue\nfalse\ntrue\n", b"event\nTrue\nFalse\nTrue\n", b"event\nTRUE\nfalse\nTRUE\n"):
        frame = pd.read_csv(io.BytesIO(text))
        assert target_vector(frame, spec).tolist() == [1, 0, 1]


def test_a_step_cannot_read_or_write_what_its_plan_step_does_not_declare(tmp_path: Path) -> None:
    from assay.run.steps import StepContext, UndeclaredArtifact
    from assay.run.workspace import Workspace

    context = StepContext(tmp_path, {}, "0" * 64, (), Workspace(tmp_path, tmp_path))
    fit = context.for_step({"name": "fit", "inputs": ["split/train"], "outputs": ["model/estimator"]})
    assert fit.input_path("split/train") == tmp_path / "split/train"
    with pytest.raises(UndeclaredArtifact, match="data/train"):
        fit.input_path("data/train")
    with pytest.raises(UndeclaredArtifact, match="scores/test"):
        fit.write_bytes("scores/test", b"")
    package = context.for_step({"name": "package", "inputs": [], "outputs": ["package/"]})
    package.write_bytes("package/model.skops", b"x")
    assert (tmp_path / "package/model.skops").read_bytes() == b"x"
