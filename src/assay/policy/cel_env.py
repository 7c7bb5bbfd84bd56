"""The CEL environment rules run in: common-expression-language (the Rust CEL interpreter's
Python binding), compiled once per rule, with two functions CEL lacks for our data."""

from __future__ import annotations

import datetime
import functools
import importlib.machinery
import importlib.util
import re
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any


def _load_cel() -> ModuleType:
    """The binding's compiled module, without its package __init__, which imports an
    interactive shell (prompt_toolkit, rich) and costs ~170 ms on every `assay check`."""
    if "cel.cel" in sys.modules:
        return sys.modules["cel.cel"]
    package = importlib.util.find_spec("cel")
    for folder in (package.submodule_search_locations or []) if package else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            spec = importlib.util.spec_from_file_location("cel.cel", f"{folder}/cel{suffix}")
            if spec is not None and spec.loader is not None and __import__("os").path.exists(f"{folder}/cel{suffix}"):
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module
    import cel

    return cel


cel = _load_cel()


class CelError(Exception):
    """A CEL expression that does not compile, or fails while it runs."""


def compile_expression(source: str) -> Any:
    try:
        return cel.compile(source)
    except (ValueError, RuntimeError) as error:
        raise CelError(str(error).strip()) from error


def _lower(text: str) -> str:
    return text.lower()


def _days_between(start: str, end: str) -> int:
    """Whole days from `start` to `end`, both YYYY-MM-DD."""
    return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days


@functools.lru_cache(maxsize=256)
def _word_pattern(words: tuple[str, ...], delimiters: str, whole: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(word.lower()) for word in words)
    if whole:
        return re.compile(f"^{delimiters}*(?:{alternatives}){delimiters}*$")
    return re.compile(f"(?:^|{delimiters})(?:{alternatives})(?:{delimiters}|$)")


def _has_term(name: str, terms: list[str]) -> bool:
    """A snake_case name holds one of `terms` as whole words (`age` in applicant_age, not in mortgage)."""
    return bool(terms) and _word_pattern(tuple(terms), "[_0-9]", False).search(name.lower()) is not None


def _has_phrase(text: str, phrases: list[str]) -> bool:
    """Free text holds one of `phrases` between non-alphanumeric characters."""
    return bool(phrases) and _word_pattern(tuple(phrases), "[^a-z0-9]", False).search(text.lower()) is not None


def _is_phrase(text: str, phrases: list[str]) -> bool:
    """Free text is nothing but one of `phrases` (punctuation and spaces aside)."""
    return bool(phrases) and _word_pattern(tuple(phrases), "[^a-z0-9]", True).search(text.lower()) is not None


def new_context(variables: Mapping[str, Any], models: frozenset[str] = frozenset()) -> Any:
    """A CEL context with `variables` and assay's functions: lower(s), daysBetween(a, b),
    hasModel(name) (answered from a set instead of converting every model name into CEL), and
    hasTerm(name, terms), hasPhrase(text, phrases), isPhrase(text, phrases) (word matching with
    regexes compiled once, where CEL's matches() would compile one per call)."""
    context = cel.Context(dict(variables))
    context.add_function("lower", _lower)
    context.add_function("daysBetween", _days_between)
    context.add_function("hasModel", lambda name: name in models)
    context.add_function("hasTerm", _has_term)
    context.add_function("hasPhrase", _has_phrase)
    context.add_function("isPhrase", _is_phrase)
    return context


def execute(program: Any, context: Any) -> Any:
    try:
        return program.execute(context)
    except Exception as error:
        raise CelError(f"{type(error).__name__}: {error}".strip()) from error
