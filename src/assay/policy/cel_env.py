"""The CEL environment rules run in: cel-expr-python (Google's CEL C++ runtime), each
expression compiled and type-checked once, with assay's functions.

Converting the spec into CEL values is the dominant cost (tens of microseconds for a
credit model), and the binding converts a variable once per activation. So `judge` makes
one activation per spec that every rule shares: a rule's `params` is bound inside CEL
(`cel.bind(params, assay_rule_params["<rule id>"], ...)`) instead of being a variable of its
own, and a `forEach` with its condition runs as one fused expression,
`forEach.map(item, condition)`. An expression that fails there, or a condition that reads
`index`, is judged item by item with an activation per item (slower, same answer).
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.policy.cel_functions import days_between, has_phrase, has_term, is_phrase, lower
from assay.policy.cel_references import referenced_variables

# Every variable a rule may read; the checker rejects any other name. A new variable is declared here.
VARIABLES = ("spec", "plan", "planDigest", "evidence", "params", "today", "models", "item", "index")
_RULE_PARAMS = "assay_rule_params"  # every rule's parameters by rule id; only bound expressions see it
_ITEMS = "assay_items"  # the forEach list inside a fused expression

# The checker knows static types that rules, dynamically typed under the binding assay used
# before, never had to respect: it rejects `1 < 2.5` and `1 == 1.0` (which the runtime, like the
# CEL spec, compares across int, uint and double), `c ? 1 : 'one'`, and a select on a list
# literal's inferred element type (`[{'k': 'a'}, {'k': 'b', 'm': {'n': 1}}].exists(x, x.m.n > 0)`).
# An expression whose only compile errors are such type errors compiles without the checker and
# runs as before: what is valid at run time works, the rest fails there (P003). Syntax errors
# and unknown names or functions stay compile errors (P001).
_UNDECLARED = "undeclared reference to "


class CelError(Exception):
    """A CEL expression that does not compile, or fails while it runs."""


@functools.cache
def _cel() -> Any:
    """The binding's module, imported on first use (it ships .pyi stubs but no py.typed marker,
    so mypy would skip it: assay types its objects as Any)."""
    return importlib.import_module("cel_expr_python.cel")


@functools.cache
def _envs() -> tuple[Any, Any]:
    """(plain, bound): `plain` compiles rules as written (variables as declared); `bound` also
    declares the hidden map of rule parameters, for the wrapped expressions. Built on first use:
    the first environment costs ~25 ms, which commands without policies should not pay."""
    cel = _cel()
    ext_bindings = importlib.import_module("cel_expr_python.ext.ext_bindings")

    string, boolean, words = cel.Type.STRING, cel.Type.BOOL, cel.Type.List(cel.Type.STRING)
    functions = cel.CelExtension(
        "assay",
        [
            cel.FunctionDecl("lower", [cel.Overload("assay_lower_string", string, [string], impl=lower)]),
            cel.FunctionDecl(
                "daysBetween", [cel.Overload("assay_days_between_string_string", cel.Type.INT, [string, string], impl=days_between)]
            ),
            # Bound per spec (new_context), from the repository's set of model names.
            cel.FunctionDecl("hasModel", [cel.Overload("assay_has_model_string", boolean, [string])]),
            cel.FunctionDecl("hasTerm", [cel.Overload("assay_has_term_string_list", boolean, [string, words], impl=has_term)]),
            cel.FunctionDecl("hasPhrase", [cel.Overload("assay_has_phrase_string_list", boolean, [string, words], impl=has_phrase)]),
            cel.FunctionDecl("isPhrase", [cel.Overload("assay_is_phrase_string_list", boolean, [string, words], impl=is_phrase)]),
        ],
    )
    extensions = [ext_bindings.ExtBindings(), functions]
    declared = dict.fromkeys(VARIABLES, cel.Type.DYN)
    plain = cel.NewEnv(variables=declared, extensions=extensions)
    bound = cel.NewEnv(variables={**declared, _RULE_PARAMS: cel.Type.DYN}, extensions=extensions)
    return plain, bound


@dataclass(frozen=True, eq=False)
class Program:
    """A CEL expression as written: compiled (type-checked, unless only overload errors stopped the
    checker) and the assay variables it may read (all of them when it was not checked)."""

    source: str
    expression: Any
    variables: frozenset[str]
    checked: bool


@dataclass(frozen=True, eq=False)
class RuleExpression:
    """One of a rule's expressions, to run with `params` bound to that rule's parameters.
    Compiled on first use (a rule that matches no spec costs nothing more)."""

    program: Program
    rule: str
    for_each: Program | None = None  # set on a condition under a forEach

    @functools.cached_property
    def bound(self) -> Any:
        """`cel.bind(params, assay_rule_params["<rule>"], <expression>)`."""
        try:
            return _bound(self.rule, self.program.source, self.program.checked)
        except RuntimeError as error:  # not expected of an expression that compiled alone
            raise CelError(_message(error)) from error

    @functools.cached_property
    def each(self) -> Any:
        """forEach and condition fused into one expression giving [outcomes, items], or [] when
        forEach gives no list; None without forEach, or when the condition reads `index`
        (which the fused form does not bind), or if it did not compile."""
        if self.for_each is None or "index" in self.program.variables:
            return None
        # dyn(): `item` stays dynamic, as the variable is, rather than typed from a list literal.
        fused = (
            f"cel.bind({_ITEMS}, dyn(\n{self.for_each.source}\n), type({_ITEMS}) == list"
            f" ? [{_ITEMS}.map(item, (\n{self.program.source}\n)), {_ITEMS}] : [])"
        )
        for checked in (True, False) if self.for_each.checked and self.program.checked else (False,):
            try:
                return _bound(self.rule, fused, checked)
            except RuntimeError:
                continue
        return None  # then item by item


def _bound(rule: str, source: str, checked: bool) -> Any:
    _, env = _envs()
    literal = json.dumps(rule)  # a JSON string is a valid CEL string literal
    return _compile(env, f"cel.bind(params, {_RULE_PARAMS}[{literal}], (\n{source}\n))", checked)


def _message(error: BaseException) -> str:
    """The binding's message without its status-code decoration."""
    text = str(error).strip()
    text = re.sub(r"^[A-Z_]+: (?=ERROR: )", "", text)
    return re.sub(r"\s*\[[A-Z_]+\]$", "", text)


def _compile(env: Any, source: str, checked: bool) -> Any:
    return env.compile(source, disable_check=not checked)


def compile_expression(source: str) -> Program:
    """Compile `source` as written; a syntax or type error is a CelError with the binding's message."""
    plain, _ = _envs()
    try:
        expression = _compile(plain, source, True)
    except RuntimeError as error:
        if _UNDECLARED not in str(error):
            try:  # a syntax error fails here too
                return Program(source, _compile(plain, source, False), frozenset(VARIABLES), False)
            except RuntimeError:
                pass
        raise CelError(_message(error)) from error
    return Program(source, expression, referenced_variables(expression, VARIABLES), True)


def bind_rule(
    rule_id: str, when: Program | None, for_each: Program | None, condition: Program
) -> tuple[RuleExpression | None, RuleExpression | None, RuleExpression]:
    """A rule's when, forEach and condition, for the one activation per spec all rules share."""
    return (
        RuleExpression(when, rule_id) if when else None,
        RuleExpression(for_each, rule_id) if for_each else None,
        RuleExpression(condition, rule_id, for_each),
    )


@dataclass(frozen=True, eq=False)
class Context:
    """What rules run against: one activation for a spec, shared by every rule."""

    data: Mapping[str, Any]
    functions: Sequence[Any]
    activation: Any


def new_context(variables: Mapping[str, Any], models: frozenset[str], params: Mapping[str, Mapping[str, Any]]) -> Context:
    """A context with `variables`, each rule's parameters (`params`, by rule id) and assay's
    functions: lower(s), daysBetween(a, b), hasModel(name) (answered from `models` instead of
    converting every model name into CEL), and hasTerm(name, terms), hasPhrase(text, phrases),
    isPhrase(text, phrases) (word matching with regexes compiled once, where CEL's matches()
    would compile one per call). Values are converted into CEL on first use, once."""
    cel = _cel()
    has_model: Callable[[str], bool] = models.__contains__
    functions = [cel.Function("hasModel", [cel.Type.STRING], False, has_model, cel.Type.BOOL)]
    data = {**variables, _RULE_PARAMS: {rule: dict(values) for rule, values in params.items()}}
    _, env = _envs()
    return Context(data, functions, env.Activation(data, functions=functions))


def _run(expression: Any, activation: Any) -> Any:
    cel = _cel()
    try:
        value = expression.eval(activation)
    except Exception as error:  # the binding raises for failures outside the expression itself
        raise CelError(_message(error)) from error
    if value.type() == cel.Type.ERROR:
        raise CelError(_message(RuntimeError(value.value())))
    return value


def execute(program: RuleExpression, context: Context, item: Any = None, index: int | None = None) -> Any:
    """Evaluate `program` in `context` (with `item` and `index` bound when `index` is given)
    and return plain Python: bool, int, float, str, None, list, dict."""
    _, env = _envs()
    activation = context.activation
    if index is not None:
        activation = env.Activation({**context.data, "item": item, "index": index}, functions=context.functions)
    return _run(program.bound, activation).plain_value()


def each_outcome(condition: RuleExpression, context: Context) -> tuple[list[Any], Callable[[int], Any]] | None:
    """The condition's outcome for every forEach item, in order, and a function giving an item
    as plain Python; None when this must be judged item by item (an error in any item, a
    forEach that gives no list, or a condition that reads `index`)."""
    if condition.each is None:
        return None
    try:
        parts = _run(condition.each, context.activation).value()
    except CelError:
        return None
    if len(parts) != 2:
        return None
    items = parts[1]
    values: list[Any] = []

    def item_at(index: int) -> Any:
        if not values:
            values.extend(items.value())
        return values[index].plain_value()

    return list(parts[0].plain_value()), item_at
