"""`assay plan` end to end on real git repositories: summaries, written outputs, --check, and --base diffs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from support import REPO_ROOT, RunAssay


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args], cwd=root, check=True, capture_output=True)


def make_repository(root: Path) -> Path:
    for name in ("assay.yaml",):
        shutil.copy(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    shutil.copytree(REPO_ROOT / "models", root / "models", ignore=shutil.ignore_patterns("*.csv"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text)
    return text


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def diff(run_assay: RunAssay, root: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    done = run_assay("plan", "--base", "main", "--format", "json", *extra, cwd=root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_adding_a_feature_is_material_at_its_line(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    spec = root / "models" / "consumer-credit-pd" / "model.yaml"
    feature = (
        "    - name: months_at_address\n      type: numeric\n      description: Months at address.\n"
        "      reason: Length of residence is insufficient\n      piiClass: none\n"
    )
    text = edit(spec, "    - name: loan_purpose\n", feature + "    - name: loan_purpose\n")
    report = diff(run_assay, root)
    (model,) = report["models"]
    assert (model["model"], model["status"], model["material"]) == ("consumer-credit-pd", "changed", True)
    added = [c for c in model["changes"] if c["kind"] == "added"]
    assert added == [
        {
            "kind": "added",
            "area": "features",
            "material": True,
            "planPointer": "/spec/data/features/9",
            "specPointer": "/data/features/9",
            "file": "models/consumer-credit-pd/model.yaml",
            "line": line_of(text, "- name: months_at_address"),
            "before": None,
            "after": {
                "description": "Months at address.",
                "name": "months_at_address",
                "piiClass": "none",
                "reason": "Length of residence is insufficient",
                "type": "numeric",
            },
        }
    ]


def test_documentation_only_change_is_not_material(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    text = edit(root / "models" / "consumer-credit-pd" / "model.yaml", "  purpose: Decide approval", "  purpose: Decides approval")
    (model,) = diff(run_assay, root)["models"]
    assert model["material"] is False
    assert [(c["specPointer"], c["line"], c["material"]) for c in model["changes"]] == [
        ("/documentation/purpose", line_of(text, "  purpose: Decides"), False)
    ]


def test_estimator_params_and_data_window_are_material(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    spec = root / "models" / "consumer-credit-pd" / "model.yaml"
    edit(spec, "C: 0.5", "C: 0.25")
    edit(spec, 'window: {start: "2024-01-01", end: "2024-06-30"}', 'window: {start: "2024-01-01", end: "2024-09-30"}')
    (model,) = diff(run_assay, root)["models"]
    areas = {(c["specPointer"], c["area"], c["material"]) for c in model["changes"] if c["specPointer"]}
    assert ("/training/estimator/params/C", "estimator", True) in areas
    assert ("/data/outOfTime/window/end", "data", True) in areas


def test_new_deleted_and_renamed_models(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    git(root, "mv", "models/marketing-propensity", "models/mkt-propensity")
    edit(root / "models" / "mkt-propensity" / "model.yaml", "name: marketing-propensity", "name: mkt-propensity")
    shutil.rmtree(root / "models" / "aml-alert-scoring")
    new = root / "models" / "credit-pd-v3" / "model.yaml"
    new.parent.mkdir()
    new.write_text(
        (root / "models" / "consumer-credit-pd" / "model.yaml")
        .read_text()
        .replace("name: consumer-credit-pd", "name: credit-pd-v3")
        .replace("C: 0.5", "C: 1.0")
    )
    models = {m["model"]: m for m in diff(run_assay, root)["models"]}
    assert models["aml-alert-scoring"]["status"] == "removed"
    assert models["credit-pd-v3"]["status"] == "added"
    assert models["credit-pd-v3"]["material"] is True
    assert models["mkt-propensity"]["status"] == "renamed"
    assert models["mkt-propensity"]["renamedFrom"] == "marketing-propensity"
    assert "marketing-propensity" not in models


def test_markdown_comment_has_summary_and_details(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    edit(root / "models" / "consumer-credit-pd" / "model.yaml", "C: 0.5", "C: 0.25")
    done = run_assay("plan", "--base", "main", "--format", "markdown", cwd=root)
    assert done.stdout.startswith("### assay plan against `main`")
    assert "| `consumer-credit-pd` | changed | **yes** |" in done.stdout
    assert "<details><summary><code>consumer-credit-pd</code>" in done.stdout


def test_unchanged_repository_has_no_plan_changes(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    assert diff(run_assay, root)["models"] == []


def test_written_outputs_and_check(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    assert run_assay("plan", "--out", "plans", cwd=root).returncode == 0
    assert (root / "plans" / "consumer-credit-pd" / "plan.json").is_file()
    assert run_assay("plan", "--check", "--out", "plans", cwd=root).returncode == 0
    plan_file = root / "plans" / "consumer-credit-pd" / "plan.json"
    plan_file.write_text(plan_file.read_text().replace('"replicas": 3', '"replicas": 30'))
    stale = run_assay("plan", "--check", "--out", "plans", cwd=root)
    assert stale.returncode == 1
    assert "plans/consumer-credit-pd/plan.json" in stale.stderr


def test_invalid_spec_is_refused_with_its_diagnostics(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    edit(root / "models" / "consumer-credit-pd" / "model.yaml", "riskTier: 1", "riskTier: 9")
    done = run_assay("plan", cwd=root)
    assert done.returncode == 1
    assert "S006" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_model_and_base(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    assert run_assay("plan", "no-such-model", cwd=root).returncode == 2
    assert run_assay("plan", "--base", "nope", cwd=root).returncode == 2


def test_plan_diff_imports_no_numerical_library(tmp_path: Path) -> None:
    """deepdiff would import numpy and pandas when installed; `assay plan --base` keeps them out (half a second)."""
    root = make_repository(tmp_path)
    edit(root / "models" / "consumer-credit-pd" / "model.yaml", "version: 2.1.0", "version: 2.1.1")
    script = (
        "import sys, runpy\n"
        "sys.argv = ['assay', 'plan', '--base', 'main', '--format', 'json', '--output', 'diff.json']\n"
        "try:\n    runpy.run_module('assay', run_name='__main__')\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'numpy', 'pandas', 'scipy', 'sklearn', 'polars', 'pydantic'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert json.loads((root / "diff.json").read_text())["models"][0]["model"] == "consumer-credit-pd"


def test_base_diff_sees_staged_untracked_and_deleted_specs(run_assay: RunAssay, tmp_path: Path) -> None:
    """The working tree's specs come from git's listing and its changes, not a walk of the disk: every kind counts."""
    root = make_repository(tmp_path)
    shutil.copytree(root / "models" / "consumer-credit-pd", root / "models" / "untracked-copy")
    edit(root / "models" / "untracked-copy" / "model.yaml", "name: consumer-credit-pd", "name: untracked-copy")
    shutil.copytree(root / "models" / "consumer-credit-pd", root / "models" / "staged-copy")
    edit(root / "models" / "staged-copy" / "model.yaml", "name: consumer-credit-pd", "name: staged-copy")
    git(root, "add", "models/staged-copy")
    shutil.rmtree(root / "models" / "card-fraud-detection")
    report = diff(run_assay, root)
    statuses = {m["model"]: m["status"] for m in report["models"]}
    assert statuses["untracked-copy"] == "added" and statuses["staged-copy"] == "added"
    assert statuses.get("card-fraud-detection") == "removed"
    assert "consumer-credit-pd" not in statuses
