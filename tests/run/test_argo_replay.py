"""The compiled Argo Workflow, executed locally task by task, produces exactly what `assay run` produces.

The workflow is read as Argo would: the entrypoint DAG's tasks in dependency
order, each task's input artifacts resolved through its `from:` expressions (a
producing task's output artifact, or a workflow argument, which for a repository
data source names the file by sha256 in the artifact repository), placed at the
paths its template declares, and the template's container command run as
written, with the container's `/assay/in` and `/assay/out` mapped to local
folders and its environment passed. Only the declared output artifacts are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support import REPO_ROOT, run_assay_process

MODEL = "consumer-credit-pd"
IN_ROOT, OUT_ROOT = "/assay/in", "/assay/out"
TASK_OUTPUT = re.compile(r"^\{\{tasks\.([A-Za-z0-9-]+)\.outputs\.artifacts\.([A-Za-z0-9_-]+)\}\}$")
WORKFLOW_INPUT = re.compile(r"^\{\{inputs\.artifacts\.([A-Za-z0-9_-]+)\}\}$")
CONTENT_KEY = re.compile(r"^assay/data/sha256/([0-9a-f]{64})$")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_of(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.is_file())
    elif path.is_file():
        yield path


def copy_artifact(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)


def local(path: str, root: str, folder: Path) -> Path:
    assert path == root or path.startswith(root + "/"), f"{path} is not under {root}"
    return folder / path.removeprefix(root).lstrip("/")


def topological(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ordered: list[dict[str, Any]] = []
    done: set[str] = set()
    pending = list(tasks)
    while pending:
        ready = [task for task in pending if set(task.get("dependencies", [])) <= done]
        assert ready, f"the DAG has a cycle or an unknown dependency among {[t['name'] for t in pending]}"
        for task in ready:
            ordered.append(task)
            done.add(task["name"])
            pending.remove(task)
    return ordered


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("argo-replay")
    shutil.copy(REPO_ROOT / "assay.yaml", root / "assay.yaml")
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    shutil.copytree(REPO_ROOT / "models", root / "models")
    return root


@pytest.fixture(scope="module")
def workflow(repo: Path) -> dict[str, Any]:
    result = run_assay_process("plan", MODEL, "--out", "plans", cwd=repo)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = yaml.safe_load((repo / "plans" / MODEL / "argo-workflow.yaml").read_text())
    assert document["kind"] == "Workflow"
    return document


@pytest.fixture(scope="module")
def artifact_repository(repo: Path) -> dict[str, Path]:
    """The workflow's default artifact repository as far as data sources go: the repository's data files by sha256."""
    return {sha256(path): path for path in (repo / "models" / MODEL / "data").iterdir() if path.is_file()}


@pytest.fixture(scope="module")
def replay(repo: Path, workflow: dict[str, Any], artifact_repository: dict[str, Path]) -> dict[str, Any]:
    """Run every task of the workflow; the declared output artifacts of each, and what each task ran."""
    spec = workflow["spec"]
    templates = {template["name"]: template for template in spec["templates"]}
    dag = templates[spec["entrypoint"]]["dag"]
    arguments = {artifact["name"]: artifact for artifact in spec["arguments"].get("artifacts", [])}
    work = repo / "replay"
    produced: dict[str, dict[str, Path]] = {}
    commands: dict[str, list[str]] = {}
    for task in topological(dag["tasks"]):
        template = templates[task["template"]]
        in_dir, out_dir = work / task["name"] / "in", work / task["name"] / "out"
        in_dir.mkdir(parents=True)
        out_dir.mkdir(parents=True)
        given = {artifact["name"]: artifact["from"] for artifact in task.get("arguments", {}).get("artifacts", [])}
        for artifact in template.get("inputs", {}).get("artifacts", []):
            reference = given[artifact["name"]]
            if match := TASK_OUTPUT.match(reference):
                source = produced[match.group(1)][match.group(2)]
            else:
                match = WORKFLOW_INPUT.match(reference)
                assert match, f"unexpected artifact reference {reference}"
                key = CONTENT_KEY.match(arguments[match.group(1)]["s3"]["key"])
                assert key, arguments[match.group(1)]
                source = artifact_repository[key.group(1)]
            copy_artifact(source, local(artifact["path"], IN_ROOT, in_dir))
        container = template["container"]
        command = [*container["command"], *container.get("args", [])]
        assert command[0] == "assay"
        local_command = [sys.executable, "-m", "assay"] + [
            part.replace(IN_ROOT, str(in_dir)).replace(OUT_ROOT, str(out_dir)) for part in command[1:]
        ]
        env = {**os.environ, **{variable["name"]: variable["value"] for variable in container.get("env", [])}}
        completed = subprocess.run(local_command, cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert completed.returncode == 0, f"task {task['name']}: {completed.stdout}\n{completed.stderr}"
        commands[task["name"]] = command
        outputs = {}
        for artifact in template.get("outputs", {}).get("artifacts", []):
            path = local(artifact["path"], OUT_ROOT, out_dir)
            assert path.exists(), f"task {task['name']} did not write its output artifact {artifact['name']} at {artifact['path']}"
            outputs[artifact["name"]] = path
        produced[task["name"]] = outputs
    return {"produced": produced, "commands": commands, "work": work}


@pytest.fixture(scope="module")
def plain_run(repo: Path) -> dict[str, Any]:
    result = run_assay_process("run", MODEL, "--format", "json", cwd=repo)
    assert result.returncode in (0, 1), result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)[0]
    assert summary["failure"] is None
    run_json: dict[str, Any] = json.loads((Path(summary["folder"]) / "run.json").read_text())
    return run_json


def test_every_task_runs_a_plan_step_command(workflow: dict[str, Any], replay: dict[str, Any], repo: Path) -> None:
    plan = json.loads((repo / "plans" / MODEL / "plan.json").read_text())
    steps = {step["name"]: step["command"] for step in plan["training"]["steps"]}
    assert replay["commands"] == steps


def test_workflow_outputs_equal_a_plain_run_bit_for_bit(replay: dict[str, Any], plain_run: dict[str, Any]) -> None:
    union: dict[str, str] = {}
    for task, outputs in replay["produced"].items():
        out_dir = replay["work"] / task / "out"
        for path in outputs.values():
            for file in files_of(path):
                name = file.relative_to(out_dir).as_posix()
                assert name not in union, f"{name} is an output of two tasks"
                union[name] = sha256(file)
    assert union == plain_run["outputs"]


def test_each_task_reads_only_declared_inputs(replay: dict[str, Any]) -> None:
    """The input folder of every task holds exactly the artifacts it declares, and that was enough to run it."""
    for task in replay["produced"]:
        in_dir = replay["work"] / task / "in"
        record = json.loads((replay["work"] / task / "out" / "steps" / f"{task}.json").read_text())
        staged = {file.relative_to(in_dir).as_posix(): sha256(file) for file in files_of(in_dir)}
        declared = {name.replace("source:", "source/"): digest for name, digest in record["inputs"].items()}
        assert staged == declared


def test_a_task_from_another_plan_is_refused(workflow: dict[str, Any], repo: Path, tmp_path: Path) -> None:
    env = {**os.environ, "ASSAY_PLAN_DIGEST": "0" * 64}
    result = subprocess.run(
        [sys.executable, "-m", "assay", "run", MODEL, "--step", "validate-data", "--in", str(tmp_path), "--out", str(tmp_path / "out")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    assert "stale" in result.stderr
