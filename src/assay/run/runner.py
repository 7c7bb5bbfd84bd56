"""run_plan: execute a compiled plan's training steps into a run folder named by the plan digest.

Steps whose records verify (same input digests, outputs unchanged) are skipped, so
a killed run resumes where it stopped and a finished one is not redone. Outputs go
to the content-addressed store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.output import write_atomic
from assay.plan import CompiledPlan
from assay.run.steps import SOURCE_PREFIX, RunFailed, StepContext, StepFunction, UndeclaredArtifact, input_digests, step_functions
from assay.run.workspace import RUNS_FOLDER, Workspace, json_bytes, run_folder_lock, sha256_file, store_artifacts

RUN_RECORD = "run.json"


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
    """Run every step of `plan` (resuming completed ones) and store the outputs.

    A step is skipped when its record shows it read the inputs it would read now
    and its outputs still have their digests; `run.json` is removed first and
    written last, so it exists only for a run that finished.
    """
    folder = folder or root / RUNS_FOLDER / plan.digest
    with run_folder_lock(folder):
        return _run_steps(root, plan, folder, data_roots, progress)


def _run_steps(root: Path, plan: CompiledPlan, folder: Path, data_roots: Sequence[str], progress: Progress) -> RunResult:
    workspace = Workspace(folder, folder)
    (folder / RUN_RECORD).unlink(missing_ok=True)
    context = StepContext(root, dict(plan.data["spec"]), plan.digest, data_roots, workspace)
    functions = step_functions()
    records: list[dict[str, Any]] = []
    digests: dict[str, str] = {}
    for step in plan.data["training"]["steps"]:
        ctx = context.for_step(step)
        inputs = input_digests(ctx, digests)
        done = workspace.completed(step["name"], inputs) if inputs is not None else None
        if done is not None:
            progress(f"{step['name']}: done before, inputs and outputs verified")
            record = dict(done)
        else:
            try:
                record = _execute(ctx, functions[step["name"]], inputs if inputs is not None else {})
            except RunFailed as error:
                progress(f"{step['name']}: FAILED: {error}")
                return RunResult(plan.model, plan.digest, folder, _timings(records), failure=f"{step['name']}: {error}")
            progress(f"{step['name']}: {record['seconds']:.2f} s")
        digests.update(record["outputs"])
        records.append(record)
        workspace.forget(SOURCE_PREFIX)  # a source's bytes, read to hash and load them, are not held for later steps
    return _finish(root, plan, folder, workspace, records)


def _execute(ctx: StepContext, function: StepFunction, inputs: Mapping[str, str]) -> dict[str, Any]:
    """Run one step and write its record; its outputs must be exactly the ones its plan step declares."""
    started, cpu = time.perf_counter(), time.process_time()
    produced = function(ctx)
    if sorted(produced) != sorted(ctx.outputs):
        raise UndeclaredArtifact(f"step '{ctx.step}' wrote {sorted(produced)}, but its plan step declares {sorted(ctx.outputs)}")
    return ctx.workspace.record_step(ctx.step, ctx.outputs, time.perf_counter() - started, inputs, time.process_time() - cpu)


def _timings(records: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Each step's wall and CPU seconds (CPU of the whole process, its OpenMP and BLAS threads included)."""
    return tuple({"step": r["step"], "seconds": r["seconds"], "cpuSeconds": r.get("cpuSeconds")} for r in records)


def _finish(root: Path, plan: CompiledPlan, folder: Path, workspace: Workspace, records: list[dict[str, Any]]) -> RunResult:
    outputs = {name: digest for record in records for name, digest in record["outputs"].items()}
    store_artifacts(root, folder, outputs)
    metrics = workspace.read_json("reports/metrics.json")
    fairness = workspace.read_json("reports/fairness.json")["verdict"] if "reports/fairness.json" in outputs else None
    result = RunResult(plan.model, plan.digest, folder, _timings(records), dict(sorted(outputs.items())), bool(metrics["passed"]), fairness)
    summary = {key: value for key, value in result.summary().items() if key not in ("folder", "steps")}
    write_atomic(folder / RUN_RECORD, json_bytes(summary))  # fsynced: the durable mark of a finished run
    return result


def run_single_step(
    root: Path, plan: CompiledPlan, step: str, inputs: Path, outputs: Path, data_roots: Sequence[str] = ()
) -> dict[str, Any]:
    """One step, reading its declared inputs from `inputs` and writing its declared outputs to `outputs` (an Argo task).

    A data source is read from `inputs/source/<role>` when staged there (its sha256
    is checked either way), else from the repository. The step's record goes to
    `outputs/steps/<step>.json`.
    """
    by_name = {s["name"]: s for s in plan.data["training"]["steps"]}
    if step not in by_name:
        raise RunFailed(f"step '{step}' is not in this plan (steps: {', '.join(by_name)})")
    workspace = Workspace(inputs, outputs)
    ctx = StepContext(root, dict(plan.data["spec"]), plan.digest, data_roots, workspace).for_step(by_name[step])
    missing = [name for name in ctx.inputs if not name.startswith(SOURCE_PREFIX) and not (inputs / name.rstrip("/")).exists()]
    if missing:
        raise RunFailed(f"missing inputs in {inputs}: {', '.join(missing)}")
    known = {p.relative_to(inputs).as_posix(): sha256_file(p) for name in ctx.inputs for p in _files(inputs / name.rstrip("/"))}
    digests = input_digests(ctx, known)
    return _execute(ctx, step_functions()[step], digests or {})


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path] if path.is_file() else []
