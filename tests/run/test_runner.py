"""run_plan's bookkeeping: every step record and stored object is written before run.json marks the run finished."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assay.cli.plan_sources import load_plan_inputs, model_of, plan_models, spec_paths
from assay.cli.repository import open_worktree
from assay.plan import CompiledPlan
from assay.run.runner import RUN_RECORD, run_plan
from assay.run.workspace import STORE_FOLDER, sha256_file
from support import REPO_ROOT

MODEL = "marketing-propensity"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copy(REPO_ROOT / "assay.yaml", tmp_path / "assay.yaml")
    shutil.copytree(REPO_ROOT / "policies", tmp_path / "policies")
    shutil.copytree(REPO_ROOT / "models" / MODEL, tmp_path / "models" / MODEL)
    return tmp_path


def compiled(root: Path) -> CompiledPlan:
    worktree = open_worktree(root)
    inputs, _ = load_plan_inputs(worktree)
    paths = {model_of(path): path for path in spec_paths(worktree, inputs.config)}
    (planned,), problems = plan_models(worktree, [paths[MODEL]], inputs)
    assert not [d for d in problems if d.blocking]
    return planned.plan


def test_every_record_and_stored_object_is_written_when_the_run_returns(repo: Path) -> None:
    result = run_plan(repo, compiled(repo))
    assert result.failure is None
    steps = [step["name"] for step in compiled(repo).data["training"]["steps"]]
    records = {path.stem: json.loads(path.read_text()) for path in (result.folder / "steps").glob("*.json")}
    assert sorted(records) == sorted(steps)
    for name, digest in result.outputs.items():
        assert sha256_file(result.folder / name) == digest
        assert sha256_file(repo / STORE_FOLDER / digest[:2] / digest[2:]) == digest
    assert json.loads((result.folder / RUN_RECORD).read_text())["outputs"] == result.outputs


def test_a_store_that_cannot_be_written_fails_the_run_without_its_mark(repo: Path) -> None:
    (repo / STORE_FOLDER).parent.mkdir(parents=True)
    (repo / STORE_FOLDER).write_text("not a folder")  # every copy into the store fails
    plan = compiled(repo)
    with pytest.raises(OSError):
        run_plan(repo, plan)
    folder = repo / ".assay" / "runs" / plan.digest
    assert not (folder / RUN_RECORD).exists()
    assert (folder / "steps" / "package.json").is_file()  # the steps ran, and their records were written
    (repo / STORE_FOLDER).unlink()
    result = run_plan(repo, plan)  # the next run finds every step done and stores the outputs
    assert result.failure is None and (folder / RUN_RECORD).is_file()
    assert all((repo / STORE_FOLDER / d[:2] / d[2:]).is_file() for d in result.outputs.values())


def test_the_command_says_which_file_it_could_not_write(repo: Path) -> None:
    from support import run_assay_process

    (repo / STORE_FOLDER).parent.mkdir(parents=True)
    (repo / STORE_FOLDER).write_text("not a folder")
    done = run_assay_process("run", MODEL, "--quiet", cwd=repo)
    assert done.returncode == 2, done.stderr
    assert "cannot write the run's files" in done.stderr and "Not a directory" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
