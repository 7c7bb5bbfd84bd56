"""The training steps. Each reads only the inputs its plan step declares and writes exactly its declared outputs.

The same functions run for `assay run MODEL` (all steps, one process, objects
cached between steps) and for `assay run MODEL --step NAME --in DIR --out DIR`
(one step, inputs read from files), which is what each task of the compiled Argo
Workflow executes. Artifacts sit at their plan paths (`data/train`,
`split/test`, `model/estimator`, `scores/test`, `reports/metrics.json`,
`package/`), which are the paths the workflow's artifacts use. A step asking for
an input its plan step does not declare is a bug, refused at once, so a step
never depends on a file that a workflow task would not have.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.run.data import DataError, check_pinned, parse_table, read_hashed, resolve_data_path, select_rows
from assay.run.workspace import Workspace, json_bytes

SOURCE_PREFIX = "source:"
VALIDATION = "reports/data-validation.json"
SPLIT_TRAIN = "split/train"
SPLIT_TEST = "split/test"
MODEL = "model/estimator"


class RunFailed(Exception):
    """The run cannot go on: its reason is a finding, not a crash (bad data, a refused estimator)."""


class UndeclaredArtifact(RuntimeError):
    """A step read or wrote an artifact its plan step does not declare (a bug in assay, not in the spec)."""


@dataclass(frozen=True)
class StepContext:
    """What a step may read besides its inputs, and the inputs and outputs its plan step declares."""

    root: Path
    spec: dict[str, Any]
    plan_digest: str
    data_roots: Sequence[str]
    workspace: Workspace
    step: str = ""
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    @property
    def seed(self) -> int:
        return int(self.spec["training"]["split"]["seed"])

    def for_step(self, step: Mapping[str, Any]) -> StepContext:
        return dataclasses.replace(self, step=str(step["name"]), inputs=tuple(step["inputs"]), outputs=tuple(step["outputs"]))

    def declares(self, name: str) -> bool:
        return name in self.inputs

    def input_path(self, name: str) -> Path:
        if not self.declares(name):
            raise UndeclaredArtifact(f"step '{self.step}' reads '{name}', which its plan step does not declare ({', '.join(self.inputs)})")
        return self.workspace.path(name)

    def read_bytes(self, name: str) -> bytes:
        return self.input_path(name).read_bytes()

    def read_json(self, name: str) -> Any:
        self.input_path(name)
        return self.workspace.read_json(name)

    def write_bytes(self, name: str, content: bytes) -> None:
        if not any(name == output or (output.endswith("/") and name.startswith(output)) for output in self.outputs):
            raise UndeclaredArtifact(
                f"step '{self.step}' writes '{name}', which its plan step does not declare ({', '.join(self.outputs)})"
            )
        self.workspace.write_bytes(name, content)

    def write_json(self, name: str, value: Any) -> None:
        self.write_bytes(name, json_bytes(value))

    def source_path(self, role: str) -> Path:
        """The data source `role`: staged by the workflow at `<in>/source/<role>`, else the spec's uri in the repository."""
        staged = self.workspace.inputs / "source" / role
        if self.workspace.inputs != self.workspace.outputs and staged.is_file():
            return staged
        return resolve_data_path(self.root, self.spec["data"][role]["uri"], self.data_roots)


def input_digests(ctx: StepContext, known: Mapping[str, str]) -> dict[str, str] | None:
    """sha256 of each declared input: a data source hashed where it is read, a step output from `known` (None if unknown)."""
    digests: dict[str, str] = {}
    for name in ctx.inputs:
        if name.startswith(SOURCE_PREFIX):
            try:
                digests[name] = source_bytes(ctx, name.removeprefix(SOURCE_PREFIX))[1]
            except (DataError, OSError):
                return None
            continue
        prefix = name if name.endswith("/") else None
        found = {path: digest for path, digest in known.items() if path == name or (prefix and path.startswith(prefix))}
        if not found:
            return None
        digests.update(found)
    return digests


def _roles(spec: dict[str, Any]) -> list[str]:
    return [role for role in ("train", "outOfTime") if role in spec["data"]]


def data_artifact(role: str) -> str:
    return f"data/{role}"


def _categorical(spec: dict[str, Any]) -> list[str]:
    columns = [f["name"] for f in spec["data"]["features"] if f["type"] != "numeric"]
    return columns + [a["column"] for a in spec["data"].get("protectedAttributes", [])]


def numeric_features(spec: Mapping[str, Any]) -> list[str]:
    """The declared numeric features: read as float64 wherever a table is parsed (the runner, the monitor)."""
    return [f["name"] for f in spec["data"]["features"] if f["type"] == "numeric"]


def _role_of(name: str) -> str:
    """Which source an artifact's rows come from: the splits are rows of the training data."""
    return "outOfTime" if name == data_artifact("outOfTime") else "train"


def table(ctx: StepContext, name: str) -> Any:
    """The artifact `name` (a data file or a split) parsed as a DataFrame, once per process."""

    def load() -> Any:
        data_format = ctx.spec["data"][_role_of(name)]["format"]
        return parse_table(ctx.read_bytes(name), data_format, _categorical(ctx.spec), numeric_features(ctx.spec))

    ctx.input_path(name)
    return ctx.workspace.cached(f"table:{name}", load)


def source_bytes(ctx: StepContext, role: str) -> tuple[bytes, str]:
    """The data source `role`'s bytes and their sha256, read once: the runner hashes a step's inputs, then load keeps those very bytes."""
    path = ctx.source_path(role)
    found: tuple[bytes, str] = ctx.workspace.cached(f"{SOURCE_PREFIX}{path}", lambda: read_hashed(path))
    return found


def step_load(ctx: StepContext) -> list[str]:
    """Verify each source's sha256 on the bytes read, then keep those exact bytes."""
    outputs = []
    for role in _roles(ctx.spec):
        try:
            content, actual = source_bytes(ctx, role)
            check_pinned(ctx.source_path(role), actual, ctx.spec["data"][role]["sha256"])
        except DataError as error:
            raise RunFailed(str(error)) from error
        ctx.write_bytes(data_artifact(role), content)
        outputs.append(data_artifact(role))
    return outputs


def step_validate_data(ctx: StepContext) -> list[str]:
    from assay.run.validate_data import validate_frame

    reports = [validate_frame(table(ctx, data_artifact(role)), ctx.spec, role) for role in _roles(ctx.spec)]
    ctx.write_json(VALIDATION, {"datasets": reports, "passed": all(r["passed"] for r in reports)})
    errors = [f"{r['dataset']}: {f['message']}" for r in reports for f in r["findings"] if f["severity"] == "error"]
    if errors:
        raise RunFailed("data validation failed: " + "; ".join(errors))
    return [VALIDATION]


def target(ctx: StepContext, name: str) -> Any:
    """0/1 labels of the artifact `name`'s rows."""
    from assay.run.validate_data import target_vector

    return ctx.workspace.cached(f"y:{name}", lambda: target_vector(table(ctx, name), ctx.spec))


def step_split(ctx: StepContext) -> list[str]:
    """The train and test rows of the development data, each written as a table of the source's format.

    A CSV split keeps the source's header and records byte for byte, so the rows
    every later step reads are lines of the pinned file.
    """
    from assay.run.split import split_rows

    if not ctx.read_json(VALIDATION).get("passed"):
        raise RunFailed("data validation did not pass; nothing is split")
    source = data_artifact("train")
    frame = table(ctx, source)
    train, test = split_rows(frame, target(ctx, source), ctx.spec)
    try:
        selected = select_rows(ctx.read_bytes(source), ctx.spec["data"]["train"]["format"], [train, test], len(frame))
    except DataError as error:
        raise RunFailed(str(error)) from error
    alike = _rows_parse_alike(frame, ctx.spec)
    for name, content, positions in zip((SPLIT_TRAIN, SPLIT_TEST), selected, (train, test), strict=True):
        ctx.write_bytes(name, content)
        if alike:
            ctx.workspace.remember(f"table:{name}", frame.iloc[positions].reset_index(drop=True))
    return [SPLIT_TRAIN, SPLIT_TEST]


def _rows_parse_alike(frame: Any, spec: dict[str, Any]) -> bool:
    """Whether the rows of `frame` taken by position equal what parsing a CSV of those rows gives, column by column where steps read.

    True for a CSV whose numeric features all read as float64 (`parse_table`), as
    its categorical columns read as text: a value then parses the same in any
    subset of the rows. Steps read the target only through `target_vector`, which
    does not depend on the column's inferred type. A later step of the same
    process then takes its split from memory instead of parsing the file.
    """
    if spec["data"]["train"]["format"] != "csv":
        return False
    return all(str(frame[name].dtype) == "float64" for name in numeric_features(spec) if name in frame)


def features_of(ctx: StepContext, name: str) -> tuple[Any, Any]:
    """(X, y) of the artifact `name`'s rows: the declared features and the 0/1 target."""
    names = [f["name"] for f in ctx.spec["data"]["features"]]
    return table(ctx, name)[names], target(ctx, name)


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
