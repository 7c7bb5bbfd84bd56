"""run_plan: execute a compiled plan's training steps into a run folder named by the plan digest.

Steps whose records verify are skipped, so a killed run resumes where it stopped
and a finished one is not redone. Outputs go to the content-addressed store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.plan import CompiledPlan
from assay.run.steps import RunFailed, StepContext, step_functions
from assay.run.workspace import RUNS_FOLDER, Workspace, json_bytes, store_artifacts


@dataclass(frozen=True)
class RunResult:
    """What a run produced: every output's sha256, the gates' and fairness verdicts, or why it stopped."""

    model: str
    plan_digest: str
    folder: Path
    steps: tuple[dict[str, Any], ...]
    outputs: dict[str, str] = field(default_factory=dict)
    gates_passed: bool = False
    fairness: str | None = None
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None and self.gates_passed and self.fairness in (None, "pass")

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "plan": self.plan_digest,
            "folder": str(self.folder),
            "passed": self.passed,
            "gatesPassed": self.gates_passed,
            "fairness": self.fairness,
            "failure": self.failure,
            "steps": list(self.steps),
            "outputs": self.outputs,
        }


Progress = Callable[[str], None]


def run_plan(
    root: Path,
    plan: CompiledPlan,
    *,
    data_roots: Sequence[str] = (),
    progress: Progress = lambda _: None,
    folder: Path | None = None,
) -> RunResult:
    """Run every step of `plan` (resuming completed ones) and store the outputs."""
    folder = folder or root / RUNS_FOLDER / plan.digest
    workspace = Workspace(folder, folder)
    context = StepContext(root, dict(plan.data["spec"]), plan.digest, data_roots, workspace)
    functions = step_functions()
    records = []
    for step in plan.data["training"]["steps"]:
        done = workspace.completed(step["name"])
        if done is not None:
            progress(f"{step['name']}: done before, outputs verified")
            records.append(dict(done))
            continue
        started = time.perf_counter()
        try:
            outputs = functions[step["name"]](context)
        except RunFailed as error:
            progress(f"{step['name']}: FAILED: {error}")
            return RunResult(plan.model, plan.digest, folder, tuple(records), failure=f"{step['name']}: {error}")
        record = workspace.record_step(step["name"], outputs, time.perf_counter() - started)
        progress(f"{step['name']}: {record['seconds']:.2f} s")
        records.append(record)
    return _finish(root, plan, folder, workspace, records)


def _finish(root: Path, plan: CompiledPlan, folder: Path, workspace: Workspace, records: list[dict[str, Any]]) -> RunResult:
    outputs = {name: digest for record in records for name, digest in record["outputs"].items()}
    store_artifacts(root, folder, outputs)
    metrics = workspace.read_json("reports/metrics.json")
    fairness = workspace.read_json("reports/fairness.json")["verdict"] if "reports/fairness.json" in outputs else None
    steps = tuple({"step": r["step"], "seconds": r["seconds"]} for r in records)
    result = RunResult(plan.model, plan.digest, folder, steps, dict(sorted(outputs.items())), bool(metrics["passed"]), fairness)
    summary = {key: value for key, value in result.summary().items() if key not in ("folder", "steps")}
    workspace.write_bytes("run.json", json_bytes(summary))
    return result


def run_single_step(
    root: Path, plan: CompiledPlan, step: str, inputs: Path, outputs: Path, data_roots: Sequence[str] = ()
) -> dict[str, Any]:
    """One step, reading its inputs from `inputs` and writing to `outputs` (a task of the Argo Workflow)."""
    names = [s["name"] for s in plan.data["training"]["steps"]]
    if step not in names:
        raise RunFailed(f"step '{step}' is not in this plan (steps: {', '.join(names)})")
    workspace = Workspace(inputs, outputs)
    context = StepContext(root, dict(plan.data["spec"]), plan.digest, data_roots, workspace)
    started = time.perf_counter()
    produced = step_functions()[step](context)
    return workspace.record_step(step, produced, time.perf_counter() - started)
