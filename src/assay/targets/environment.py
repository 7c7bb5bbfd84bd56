"""The sandboxed Jinja2 environment that renders target templates, and its one error type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from assay.targets.encoding import require_encoded, tojson, toyaml


class TargetRenderError(Exception):
    """A target document could not be rendered: which template, and why."""

    def __init__(self, template: str, message: str) -> None:
        super().__init__(f"{template}: {message}")
        self.template = template
        self.message = message


def make_environment(loader: jinja2.BaseLoader | None = None) -> ImmutableSandboxedEnvironment:
    """Templates from the package (or `loader`), StrictUndefined, only escaped output."""
    environment = ImmutableSandboxedEnvironment(
        loader=loader or jinja2.PackageLoader("assay.targets", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=require_encoded,
    )
    environment.filters["tojson"] = tojson
    environment.filters["toyaml"] = toyaml
    return environment


def render_template(environment: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render one template; any failure, including an undefined name, becomes TargetRenderError."""
    try:
        text = environment.get_template(name).render(context)
    except (jinja2.TemplateError, LookupError, TypeError, ValueError) as error:
        raise TargetRenderError(name, _describe(error)) from error
    if not text.strip():
        raise TargetRenderError(name, "rendered an empty document")
    return text


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"the plan has no field {error.args[0]!r}"
    return str(error) or type(error).__name__
