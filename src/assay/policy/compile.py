"""Compile policy bundles: documents in, CompiledRules out, each CEL expression and template once.

A rule that does not compile becomes a diagnostic at its own file and line, and the
other rules still run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from assay.diagnostics import Diagnostic, Location, Severity
from assay.load import Document
from assay.policy.cel_env import VARIABLES, CelError, Program, bind_rule, compile_expression
from assay.policy.model import CompiledRule, Match


@functools.cache
def templates() -> Any:
    """The sandboxed Jinja environment of rule messages and pointers, made on first use (jinja2 is not imported before)."""
    import jinja2
    import jinja2.sandbox

    return jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


def policy_digest(sources: Mapping[str, bytes]) -> str:
    """sha256 over the sorted paths and sha256 digests of the policy files."""
    listing = {path: hashlib.sha256(content).hexdigest() for path, content in sorted(sources.items())}
    return hashlib.sha256(json.dumps(listing, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def compile_bundles(
    documents: Iterable[Document], overrides: Mapping[str, Mapping[str, Any]], *, check_templates: bool = True
) -> tuple[list[CompiledRule], list[Diagnostic]]:
    """Compile every rule of every bundle; duplicates and compile errors become diagnostics.

    `check_templates=False` skips the syntax check of message and pointer templates, for bundles
    already known to load without a problem (their bytes unchanged since): templates still compile
    on first render.
    """
    rules: list[CompiledRule] = []
    diagnostics: list[Diagnostic] = []
    seen: dict[str, CompiledRule] = {}
    for document in documents:
        for index, raw in enumerate(document.data.get("rules", [])):
            pointer = f"/rules/{index}"
            rule, problems = _compile_rule(document, pointer, raw, overrides.get(raw["id"], {}), check_templates)
            diagnostics.extend(problems)
            if rule is None:
                continue
            if rule.id in seen:
                first = seen[rule.id].location  # located only now: a position costs a second parse of its file
                diagnostics.append(
                    _at(document, f"{pointer}/id", "P005", f"rule id {rule.id} is already defined at {first.path}:{first.line}")
                )
                continue
            seen[rule.id] = rule
            rules.append(rule)
    return rules, diagnostics


def _at(document: Document, pointer: str, code: str, message: str, hint: str = "") -> Diagnostic:
    line, column = document.source_map.locate(pointer)
    return Diagnostic(code, Severity.ERROR, message, Location(document.path, line, column, pointer), hint)


def _compile_rule(
    document: Document, pointer: str, raw: Mapping[str, Any], overrides: Mapping[str, Any], check_templates: bool = True
) -> tuple[CompiledRule | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    programs: dict[str, Program | None] = {}
    for key in ("condition", "forEach"):
        if key in raw:
            programs[key] = _cel(document, f"{pointer}/{key}", raw[key], problems)
    when = raw.get("match", {}).get("when")
    programs["when"] = _cel(document, f"{pointer}/match/when", when, problems) if when else None
    message = _template(document, f"{pointer}/message", raw["message"], problems, check_templates)
    target = _template(document, f"{pointer}/pointer", raw["pointer"], problems, check_templates)
    defaults = {name: spec["default"] for name, spec in raw.get("parameters", {}).items()}
    for name in overrides:
        if name not in defaults:
            problems.append(
                _at(
                    document,
                    f"{pointer}/parameters",
                    "P004",
                    f"assay.yaml sets parameter '{name}' of {raw['id']}, which has no such parameter",
                )
            )
    condition = programs["condition"]
    if problems or message is None or target is None or condition is None:
        return None, problems
    when, for_each, judged = bind_rule(raw["id"], programs["when"], programs.get("forEach"), condition)
    test_pointers = [f"{pointer}/tests/{i}" for i in range(len(raw.get("tests", ())))]

    def locate() -> tuple[Location, tuple[Location, ...]]:
        rule = Location(document.path, *document.source_map.locate(pointer), pointer)
        return rule, tuple(Location(document.path, *document.source_map.locate(p), p) for p in test_pointers)

    return CompiledRule(
        id=raw["id"],
        title=raw["title"],
        description=raw["description"],
        severity=raw["severity"],
        severity_in=raw.get("severityIn", {}),
        references=tuple(raw["references"]),
        match=_match(raw.get("match", {})),
        parameters={**defaults, **{k: _merged(defaults[k], v) for k, v in overrides.items() if k in defaults}},
        defaults=defaults,
        when=when,
        for_each=for_each,
        condition=judged,
        message=message,
        pointer=target,
        fix=raw.get("fix", ""),
        tests=tuple(raw.get("tests", ())),
        locate=locate,
        variables=frozenset(name for program in programs.values() if program is not None for name in program.variables)
        | message.variables
        | target.variables,
    ), []


def _merged(default: Any, override: Any) -> Any:
    """An override of a map parameter (e.g. one tier of minAuc) keeps the other keys' defaults."""
    if isinstance(default, dict) and isinstance(override, dict):
        return {**default, **override}
    return override


def _cel(document: Document, pointer: str, source: str, problems: list[Diagnostic]) -> Program | None:
    try:
        return compile_expression(source)
    except CelError as error:
        problems.append(
            _at(document, pointer, "P001", f"CEL expression does not compile: {error}", "see https://github.com/google/cel-spec")
        )
        return None


# Every identifier in a template's source: a superset of the variables it reads (a name inside a
# string literal counts too), which is safe: reading more only costs computing more.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VARIABLES = frozenset(VARIABLES)


def _template(document: Document, pointer: str, source: str, problems: list[Diagnostic], check: bool = True) -> LazyTemplate | None:
    if not check:
        return LazyTemplate(source, frozenset(_NAME.findall(source)) & _VARIABLES)
    import jinja2

    try:
        templates().parse(source)  # syntax errors now, at the rule's line; code generation on first render
        return LazyTemplate(source, frozenset(_NAME.findall(source)) & _VARIABLES)
    except jinja2.TemplateSyntaxError as error:
        problems.append(_at(document, pointer, "P002", f"template does not compile: {error.message}"))
        return None


class LazyTemplate:
    """A Jinja template compiled on first render: most rules never fail, so most never render."""

    def __init__(self, source: str, variables: frozenset[str] = frozenset()) -> None:
        self.source = source
        self.variables = variables  # the assay variables it reads (planDigest is computed only for rules that read it)
        self._template: Any = None

    def render(self, **scope: Any) -> str:
        if self._template is None:
            self._template = templates().from_string(self.source)
        rendered: str = self._template.render(**scope)
        return rendered


def _match(raw: Mapping[str, Any]) -> Match:
    return Match(
        use_cases=tuple(raw.get("useCases", ())),
        risk_tiers=tuple(raw.get("riskTiers", ())),
        statuses=tuple(raw.get("statuses", ())),
        jurisdictions=tuple(raw.get("jurisdictions", ())),
        labels=raw.get("labels", {}),
    )
