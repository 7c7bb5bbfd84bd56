"""assay's functions inside CEL: lower(s), daysBetween(a, b), hasTerm, hasPhrase, isPhrase.

Word matching uses regexes compiled once per word list, where CEL's matches() would
compile one per call. (hasModel is bound per spec, in assay.policy.cel_env.new_context.)
"""

from __future__ import annotations

import datetime
import functools
import re


def lower(text: str) -> str:
    return text.lower()


def days_between(start: str, end: str) -> int:
    """Whole days from `start` to `end`, both YYYY-MM-DD."""
    return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days


@functools.lru_cache(maxsize=256)
def _word_pattern(words: tuple[str, ...], delimiters: str, whole: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(word.lower()) for word in words)
    if whole:
        return re.compile(f"^{delimiters}*(?:{alternatives}){delimiters}*$")
    return re.compile(f"(?:^|{delimiters})(?:{alternatives})(?:{delimiters}|$)")


def has_term(name: str, terms: list[str]) -> bool:
    """A snake_case name holds one of `terms` as whole words (`age` in applicant_age, not in mortgage)."""
    return bool(terms) and _word_pattern(tuple(terms), "[_0-9]", False).search(name.lower()) is not None


def has_phrase(text: str, phrases: list[str]) -> bool:
    """Free text holds one of `phrases` between non-alphanumeric characters."""
    return bool(phrases) and _word_pattern(tuple(phrases), "[^a-z0-9]", False).search(text.lower()) is not None


def is_phrase(text: str, phrases: list[str]) -> bool:
    """Free text is nothing but one of `phrases` (punctuation and spaces aside)."""
    return bool(phrases) and _word_pattern(tuple(phrases), "[^a-z0-9]", True).search(text.lower()) is not None
