"""The repository configuration and how it is read from `assay.yaml`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assay.config.parameters import declared_parameters, override_type_problems
from assay.diagnostics import Diagnostic
from assay.load import Document, Limits, SourceError, parse_document
from assay.load.tree import FileTree
from assay.plan.model import Prices
from assay.schema import SchemaSet, validate_document

CONFIG_FILE = "assay.yaml"


@dataclass(frozen=True)
class Config:
    """Settings of one governed repository, with the documented defaults."""

    models: tuple[str, ...] = ("models/*/model.yaml",)
    schemas: str | None = None
    policies: str = "policies"
    trusted_ref: str | None = None
    data_roots: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    waiver_horizon_days: int = 180
    prices: Prices = field(default_factory=Prices)


def load_config(tree: FileTree, schemas: SchemaSet) -> tuple[Config, list[Diagnostic]]:
    """Read `assay.yaml` from `tree`; defaults when absent, diagnostics when invalid."""
    if not tree.exists(CONFIG_FILE):
        return Config(), []
    try:
        source = tree.read(CONFIG_FILE)
    except SourceError as error:
        return Config(), [error.diagnostic]
    document, diagnostics = parse_document(source)
    if document is None:
        return Config(), diagnostics
    diagnostics = validate_document(document, schemas.validator("config"))
    if not any(d.blocking for d in diagnostics) and document.data.get("parameters"):
        diagnostics.extend(_override_problems(tree, document))
    if any(d.blocking for d in diagnostics):
        return Config(), diagnostics
    return _config_from(document.data), diagnostics


def _override_problems(tree: FileTree, document: Document) -> list[Diagnostic]:
    """Overrides whose type differs from the default their policy declares (read only when assay.yaml sets some)."""
    from assay.policy.load import policy_files

    paths = policy_files(tree, document.data.get("policies", "policies"))
    return override_type_problems(document, declared_parameters(tree, paths, _limits(document.data.get("limits", {}))))


def _limits(limits: Mapping[str, Any]) -> Limits:
    defaults = Limits()
    return Limits(
        max_bytes=limits.get("maxFileBytes", defaults.max_bytes),
        max_depth=limits.get("maxDepth", defaults.max_depth),
        max_aliases=limits.get("maxAliases", defaults.max_aliases),
    )


def _config_from(data: Mapping[str, Any]) -> Config:
    return Config(
        models=tuple(data.get("models", Config.models)),
        schemas=data.get("schemas"),
        policies=data.get("policies", "policies"),
        trusted_ref=data.get("trustedRef"),
        data_roots=tuple(data.get("dataRoots", ())),
        limits=_limits(data.get("limits", {})),
        parameters=data.get("parameters", {}),
        waiver_horizon_days=data.get("waivers", {}).get("maxHorizonDays", 180),
        prices=_prices(data.get("prices", {})),
    )


def _prices(data: Mapping[str, Any]) -> Prices:
    defaults = Prices()
    return Prices(
        cpu_hour=data.get("cpuHour", defaults.cpu_hour),
        memory_gib_hour=data.get("memoryGiBHour", defaults.memory_gib_hour),
        instance_hour=data.get("instanceHour", {}),
        hours_per_month=data.get("hoursPerMonth", defaults.hours_per_month),
        training_core_seconds_per_million_cells=data.get(
            "trainingCoreSecondsPerMillionCells", defaults.training_core_seconds_per_million_cells
        ),
    )
