"""The data-side steps: a whole run takes its splits from memory, and they must equal what a workflow task parses.

`assay run` keeps the split rows it has just written as DataFrames for the later
steps of the same process; a task of the compiled Argo Workflow parses the split
files instead. These tests run the real load, validate-data and split steps on
CSVs built to tempt pandas into reading a column differently in a subset of its
rows, and compare the two.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assay.plan.steps import training_steps
from assay.run.data import parse_table
from assay.run.steps import SPLIT_TEST, SPLIT_TRAIN, StepContext, features_of, step_functions, target
from assay.run.validate_data import target_vector
from assay.run.workspace import Workspace

# Rows 0-5 hold every oddity: "income" is whole numbers except for a missing value
# and a decimal, "tenure" is whole until its last row, "region" has an empty value,
# the target mixes a number and a word, and a note spans two lines.
HEAD = b'income,tenure,region,note,outcome\n1200,3,north,"two\nlines",1\n,4,,plain,no\n1300.5,5,south,x,1\n'
BODY = b"".join(b"%d,%d,%s,n,%s\n" % (1000 + i, i % 7, (b"north", b"south")[i % 2], (b"no", b"1")[i % 3 == 0]) for i in range(40))
CONTENT = HEAD + BODY + b"1500,2.5,north,last,no\n"


def spec_for(path: Path, content: bytes, positive: Any = 1) -> dict[str, Any]:
    return {
        "data": {
            "train": {"uri": path.name, "format": "csv", "sha256": hashlib.sha256(content).hexdigest()},
            "features": [
                {"name": "income", "type": "numeric"},
                {"name": "tenure", "type": "numeric"},
                {"name": "region", "type": "categorical"},
            ],
            "target": {"name": "outcome", "positiveClass": positive},
        },
        "training": {"split": {"method": "random", "testSize": 0.3, "seed": 7, "stratify": True}},
    }


def run_data_steps(root: Path, spec: dict[str, Any]) -> tuple[StepContext, Workspace]:
    """load, validate-data and split as a whole run does them: one workspace, one process."""
    workspace = Workspace(root / "run", root / "run")
    context = StepContext(root, spec, "0" * 64, (), workspace)
    functions = step_functions()
    steps = {step["name"]: step for step in training_steps("m", spec)}
    for name in ("load", "validate-data", "split"):
        ctx = context.for_step(steps[name])
        assert sorted(functions[name](ctx)) == sorted(ctx.outputs)
    return context.for_step(steps["fit"] | {"inputs": [SPLIT_TRAIN, SPLIT_TEST]}), workspace


def test_splits_taken_from_memory_equal_the_split_files_parsed(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_bytes(CONTENT)
    spec = spec_for(tmp_path / "data.csv", CONTENT)
    ctx, workspace = run_data_steps(tmp_path, spec)
    for name in (SPLIT_TRAIN, SPLIT_TEST):
        parsed = parse_table(workspace.path(name).read_bytes(), "csv", ["region"], ["income", "tenure"])
        remembered = workspace.cached(f"table:{name}", lambda: pytest.fail("a split was not kept in memory"))
        # Every column a step reads is the same: the features exactly, the target through target_vector.
        pd.testing.assert_frame_equal(remembered[["income", "tenure", "region"]], parsed[["income", "tenure", "region"]])
        assert target_vector(remembered, spec).tolist() == target_vector(parsed, spec).tolist()
        X, y = features_of(ctx, name)
        assert X.dtypes.astype(str).tolist() == ["float64", "float64", "object"]
        assert y.tolist() == target_vector(parsed, spec).tolist()
    assert target(ctx, SPLIT_TRAIN).sum() + target(ctx, SPLIT_TEST).sum() == 1 + 1 + 14  # rows 0 and 2, and i % 3 == 0


def test_a_workflow_task_parses_the_split_files_it_is_given(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_bytes(CONTENT)
    spec = spec_for(tmp_path / "data.csv", CONTENT)
    ctx, workspace = run_data_steps(tmp_path, spec)
    task = StepContext(tmp_path, spec, "0" * 64, (), Workspace(workspace.outputs, tmp_path / "out")).for_step(
        {"name": "fit", "inputs": [SPLIT_TRAIN, SPLIT_TEST], "outputs": []}
    )
    for name in (SPLIT_TRAIN, SPLIT_TEST):
        in_memory, from_file = features_of(ctx, name), features_of(task, name)
        pd.testing.assert_frame_equal(in_memory[0], from_file[0])
        np.testing.assert_array_equal(in_memory[1], from_file[1])


def test_a_numeric_feature_with_text_is_read_as_pandas_infers_and_refused(tmp_path: Path) -> None:
    content = CONTENT.replace(b"1300.5,5,south", b"about 1300,5,south")
    (tmp_path / "data.csv").write_bytes(content)
    assert parse_table(content, "csv", ["region"], ["income", "tenure"])["income"].dtype != np.float64
    from assay.run.steps import RunFailed

    with pytest.raises(RunFailed, match="numeric feature 'income' holds non-numeric values"):
        run_data_steps(tmp_path, spec_for(tmp_path / "data.csv", content))


def test_a_numeric_class_in_a_text_column_is_compared_as_a_number() -> None:
    spec = {"data": {"target": {"name": "outcome", "positiveClass": 1}}}
    whole = pd.read_csv(io.BytesIO(b"outcome\n1\nno\n1\n"))
    only_ones = pd.read_csv(io.BytesIO(b"outcome\n1\n1\n"))
    assert whole["outcome"].dtype != only_ones["outcome"].dtype
    assert target_vector(whole, spec).tolist() == [1, 0, 1]
    assert target_vector(only_ones, spec).tolist() == [1, 1]
