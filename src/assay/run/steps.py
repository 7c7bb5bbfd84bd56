"""The training steps. Each reads its declared inputs from the workspace and writes its outputs.

The same functions run for `assay run MODEL` (all steps, one process, objects
cached between steps) and for `assay run MODEL --step NAME --in DIR --out DIR`
(one step, inputs read from files), which is what each task of the compiled Argo
Workflow executes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.run.data import parse_table, read_verified, resolve_data_path
from assay.run.workspace import Workspace

EXTENSIONS = {"csv": "csv", "parquet": "parquet"}


class RunFailed(Exception):
    """The run cannot go on: its reason is a finding, not a crash (bad data, a refused estimator)."""


@dataclass(frozen=True)
class StepContext:
    """What every step may read besides its inputs."""

    root: Path
    spec: dict[str, Any]
    plan_digest: str
    data_roots: Sequence[str]
    workspace: Workspace

    @property
    def seed(self) -> int:
        return int(self.spec["training"]["split"]["seed"])


def _roles(spec: dict[str, Any]) -> list[str]:
    return [role for role in ("train", "outOfTime") if role in spec["data"]]


def _data_name(spec: dict[str, Any], role: str) -> str:
    return f"data/{role}.{EXTENSIONS[spec['data'][role]['format']]}"


def _categorical(spec: dict[str, Any]) -> list[str]:
    columns = [f["name"] for f in spec["data"]["features"] if f["type"] != "numeric"]
    return columns + [a["column"] for a in spec["data"].get("protectedAttributes", [])]


def frame(ctx: StepContext, role: str) -> Any:
    def load() -> Any:
        content = ctx.workspace.path(_data_name(ctx.spec, role)).read_bytes()
        return parse_table(content, ctx.spec["data"][role]["format"], _categorical(ctx.spec))

    return ctx.workspace.cached(f"frame:{role}", load)


def step_load(ctx: StepContext) -> list[str]:
    """Verify each source's sha256 on the bytes read, then keep those exact bytes."""
    outputs = []
    for role in _roles(ctx.spec):
        source = ctx.spec["data"][role]
        try:
            content = read_verified(resolve_data_path(ctx.root, source["uri"], ctx.data_roots), source["sha256"])
        except Exception as error:
            raise RunFailed(str(error)) from error
        ctx.workspace.write_bytes(_data_name(ctx.spec, role), content)
        outputs.append(_data_name(ctx.spec, role))
    return outputs


def step_validate_data(ctx: StepContext) -> list[str]:
    from assay.run.validate_data import validate_frame

    reports = [validate_frame(frame(ctx, role), ctx.spec, role) for role in _roles(ctx.spec)]
    ctx.workspace.write_json("reports/data-validation.json", {"datasets": reports, "passed": all(r["passed"] for r in reports)})
    errors = [f"{r['dataset']}: {f['message']}" for r in reports for f in r["findings"] if f["severity"] == "error"]
    if errors:
        raise RunFailed("data validation failed: " + "; ".join(errors))
    return ["reports/data-validation.json"]


def target(ctx: StepContext, role: str) -> Any:
    from assay.run.validate_data import target_vector

    return ctx.workspace.cached(f"y:{role}", lambda: target_vector(frame(ctx, role), ctx.spec))


def step_split(ctx: StepContext) -> list[str]:
    from assay.run.split import split_rows

    train, test = split_rows(frame(ctx, "train"), target(ctx, "train"), ctx.spec)
    ctx.workspace.write_json("split/train.json", train)
    ctx.workspace.write_json("split/test.json", test)
    ctx.workspace.remember("rows:train", train)
    ctx.workspace.remember("rows:test", test)
    return ["split/train.json", "split/test.json"]


def rows(ctx: StepContext, part: str) -> list[int]:
    return list(ctx.workspace.cached(f"rows:{part}", lambda: ctx.workspace.read_json(f"split/{part}.json")))


def features_of(ctx: StepContext, role: str, part: str | None = None) -> tuple[Any, Any]:
    """(X, y) for a dataset, restricted to the train or test rows of the split when `part` is given."""
    data, y = frame(ctx, role), target(ctx, role)
    names = [f["name"] for f in ctx.spec["data"]["features"]]
    if part is None:
        return data[names], y
    positions = rows(ctx, part)
    return data.iloc[positions][names], y[positions]


StepFunction = Callable[[StepContext], list[str]]


def step_functions() -> dict[str, StepFunction]:
    """Every step by name, the model-side ones imported only when a run needs them."""
    from assay.run.model_steps import step_baseline, step_evaluate, step_explain, step_fairness, step_fit, step_package

    return {
        "load": step_load,
        "validate-data": step_validate_data,
        "split": step_split,
        "fit": step_fit,
        "evaluate": step_evaluate,
        "fairness": step_fairness,
        "explain": step_explain,
        "baseline": step_baseline,
        "package": step_package,
    }
