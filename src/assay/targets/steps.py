"""The training steps of a plan, read once for every training target.

Each input of a step is either a data source (`source:NAME`) or the output of an
earlier step; `producers` finds that step and checks it against the plan's
`dependsOn`, so a target never wires data the plan does not declare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.targets.naming import IN_ROOT, OUT_ROOT, artifact_name, artifact_path, source_role


@dataclass(frozen=True)
class Artifact:
    """One input or output of a step: its plan path, name, and producing step (None for a data source)."""

    path: str
    name: str
    producer: str | None

    @property
    def role(self) -> str | None:
        return source_role(self.path)

    @property
    def in_path(self) -> str:
        return f"{IN_ROOT}/{artifact_path(self.path)}"

    @property
    def out_path(self) -> str:
        return f"{OUT_ROOT}/{artifact_path(self.path)}"


@dataclass(frozen=True)
class Step:
    name: str
    inputs: tuple[Artifact, ...]
    outputs: tuple[Artifact, ...]
    depends_on: tuple[str, ...]
    command: tuple[str, ...]


def training_steps(plan: Mapping[str, Any]) -> list[Step]:
    """The plan's steps with every input resolved to its producer."""
    producer: dict[str, str] = {}
    steps: list[Step] = []
    for raw in plan["training"]["steps"]:
        inputs = tuple(_input(path, producer, raw["name"]) for path in raw["inputs"])
        outputs = tuple(Artifact(path, artifact_name(path), raw["name"]) for path in raw["outputs"])
        step = Step(raw["name"], inputs, outputs, tuple(raw["dependsOn"]), tuple(raw["command"]))
        _check(step, [earlier.name for earlier in steps])
        steps.append(step)
        producer.update(dict.fromkeys(raw["outputs"], raw["name"]))
    return steps


def sources(steps: Sequence[Step]) -> list[Artifact]:
    """Every data source a step reads, once each, in first-use order."""
    seen: dict[str, Artifact] = {}
    for step in steps:
        for artifact in step.inputs:
            if artifact.role is not None:
                seen.setdefault(artifact.path, artifact)
    return list(seen.values())


def with_directories(command: Sequence[str], in_root: str, out_root: str) -> list[str]:
    """The step's command with its `--in` and `--out` folders moved (for platforms that fix them)."""
    moved = list(command)
    for flag, root in (("--in", in_root), ("--out", out_root)):
        if flag in moved[:-1]:
            moved[moved.index(flag) + 1] = root
    return moved


def _input(path: str, producer: Mapping[str, str], step: str) -> Artifact:
    if source_role(path) is not None:
        return Artifact(path, artifact_name(path), None)
    if path not in producer:
        raise ValueError(f"step {step!r} reads {path!r}, which no earlier step writes")
    return Artifact(path, artifact_name(path), producer[path])


def _check(step: Step, earlier: list[str]) -> None:
    if unknown := sorted(set(step.depends_on) - set(earlier)):
        raise ValueError(f"step {step.name!r} depends on {unknown}, which are not earlier steps")
    producers = {artifact.producer for artifact in step.inputs if artifact.producer is not None}
    if not producers <= set(step.depends_on):
        raise ValueError(f"step {step.name!r} reads outputs of {sorted(producers - set(step.depends_on))} without depending on them")
    names = [artifact.name for artifact in (*step.inputs, *step.outputs)]
    if len(set(names)) != len(names):
        raise ValueError(f"step {step.name!r} has two artifacts with the same name: {names}")
