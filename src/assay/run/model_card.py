"""The model card: Markdown rendered from the sandboxed Jinja2 template `templates/model-card.md.j2`."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assay.run.model_file import ModelPackageError

if TYPE_CHECKING:
    from jinja2.sandbox import ImmutableSandboxedEnvironment


def render_model_card(context: Mapping[str, Any], *, top_features: int = 10) -> str:
    """The model card (Markdown) for a run, from the sandboxed `templates/model-card.md.j2`.

    The context: {"spec": the ModelSpec dict, "plan_digest": str, "metrics":
    {dataset: {metric: value, ...}} (test, outOfTime), "gates": [{metric, dataset,
    min, max, value, passed}], "fairness": report | None, "explanations": report |
    None}. Fairness: {verdict, attributes: [{name, reference (str or {group}),
    verdict, groups: [{group, size (int|str|None), sizeBucket?, status, metrics}]}]}
    where metrics is {name: {value, ci: [lo, hi], verdict}} or [{metric, value,
    confidenceInterval: {lower, upper}, verdict}]. Explanations: {globalImportance:
    [{feature, importance}], principalReasons: {declined, reasons: [{reason, share,
    firstShare}]}}. Optional parts may be missing; a missing required field (spec
    metadata, documentation.purpose, plan_digest, metrics, gates) raises
    ModelPackageError naming it, as does any other template error.
    """
    import jinja2

    values = {"fairness": None, "explanations": None, **context, "top_features": top_features}
    if isinstance(context.get("metrics"), Mapping):
        values["metric_names"] = _scalar_metric_names(context["metrics"])
    try:
        return _environment().get_template("model-card.md.j2").render(values)
    except (jinja2.TemplateError, LookupError, TypeError, ValueError) as error:
        raise ModelPackageError(f"model card: {error}") from error


@functools.cache
def _environment() -> ImmutableSandboxedEnvironment:
    """One sandboxed environment per process, as Jinja2 intends: it compiles the template once and keeps it.

    Rendering holds no state in the environment; compiling the template costs more
    than rendering it, so a process that runs several models pays it once.
    """
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    environment = ImmutableSandboxedEnvironment(
        loader=jinja2.PackageLoader("assay.run", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(md=markdown_cell, num=_number, pct=_percent)
    return environment


def _scalar_metric_names(metrics: Mapping[str, Any]) -> list[str]:
    """Metrics that are numbers (or undefined) in every dataset, in first-seen order; tables stay in metrics.json."""
    names: dict[str, None] = {}
    for values in metrics.values():
        names.update(dict.fromkeys(values))
    scalar = (int, float, type(None))
    return [n for n in names if all(isinstance(v.get(n), scalar) and not isinstance(v.get(n), bool) for v in metrics.values())]


def markdown_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell or list item: one line, `|`, `\\` and `<` escaped."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return markdown_cell(value)


def _percent(value: Any) -> str:
    return f"{100.0 * value:.1f}%" if isinstance(value, int | float) and not isinstance(value, bool) else _number(value)
