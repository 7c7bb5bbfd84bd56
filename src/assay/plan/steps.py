"""The training plan's steps: an ordered DAG with declared inputs and outputs.

Each step runs `assay run MODEL --step NAME` over folders of artifacts, so the same
step runs locally or as a task of a compiled Argo Workflow.
"""

from __future__ import annotations

from typing import Any

# name, inputs, outputs; an input is another step's output or a data source.
_STEPS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("load", ("source:train", "source:outOfTime"), ("data/train", "data/outOfTime")),
    ("validate-data", ("data/train", "data/outOfTime"), ("reports/data-validation.json",)),
    ("split", ("data/train", "reports/data-validation.json"), ("split/train", "split/test")),
    ("fit", ("split/train",), ("model/estimator",)),
    ("evaluate", ("model/estimator", "split/test", "data/outOfTime"), ("reports/metrics.json", "scores/test", "scores/outOfTime")),
    ("fairness", ("scores/test", "split/test"), ("reports/fairness.json",)),
    ("explain", ("model/estimator", "split/train", "split/test"), ("reports/explanations.json",)),
    ("baseline", ("scores/test", "split/train"), ("reports/baseline.json",)),
    (
        "package",
        ("model/estimator", "reports/metrics.json", "reports/fairness.json", "reports/explanations.json", "reports/baseline.json"),
        ("package/", "reports/model-card.md"),
    ),
)


def training_steps(model: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps this spec needs, in order, each with its inputs, outputs, dependencies and command."""
    skipped = set()
    if "outOfTime" not in spec["data"]:
        skipped.add("source:outOfTime")
        skipped.add("data/outOfTime")
        skipped.add("scores/outOfTime")
    if "fairness" not in spec:
        skipped.update({"fairness", "reports/fairness.json"})
    if "explainability" not in spec:
        skipped.update({"explain", "reports/explanations.json"})
    producer: dict[str, str] = {}
    steps = []
    for name, inputs, outputs in _STEPS:
        if name in skipped:
            continue
        kept_inputs = [i for i in inputs if i not in skipped]
        kept_outputs = [o for o in outputs if o not in skipped]
        depends = sorted({producer[i] for i in kept_inputs if i in producer})
        steps.append(
            {
                "name": name,
                "inputs": kept_inputs,
                "outputs": kept_outputs,
                "dependsOn": depends,
                "command": ["assay", "run", model, "--step", name, "--in", "/assay/in", "--out", "/assay/out"],
            }
        )
        producer.update(dict.fromkeys(kept_outputs, name))
    return steps
