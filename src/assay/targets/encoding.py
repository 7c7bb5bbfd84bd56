"""The only two ways a value reaches a rendered document: `tojson` and `toyaml`.

Both filters return `Encoded` text, and the environment's `finalize` refuses any
other expression result, so a template cannot interpolate a raw string from a spec
(a description with quotes, newlines or `{{ }}` can never break a document).
"""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2
import yaml


class Encoded(str):
    """Text that a filter has already escaped for the document it goes into."""

    __slots__ = ()


# A string that every YAML 1.1 and 1.2 reader takes as this same string when plain;
# anything else (digits first, yes/no/on/off, null, punctuation) is double-quoted.
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./-]*$")
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


class _ManifestDumper(yaml.SafeDumper):
    """Block-style YAML whose scalars read back the same under YAML 1.1 and 1.2."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Several lines read best as a literal block; the emitter itself falls back to
    # double quotes when a block could not hold the text exactly.
    if "\n" in value.rstrip("\n"):
        style = "|"
    elif _PLAIN.match(value) and value.lower() not in _RESERVED:
        style = None
    else:
        style = '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _represent_str)
_ManifestDumper.add_representer(Encoded, _represent_str)


def _refuse(value: object) -> Any:
    """Name what cannot be encoded; an undefined name raises its own StrictUndefined error."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError, naming the missing variable.
        raise jinja2.UndefinedError("an undefined value cannot be rendered")
    raise TypeError(f"cannot encode a {type(value).__name__}")


def _represent_other(dumper: yaml.SafeDumper, value: object) -> yaml.Node:
    return _refuse(value)  # type: ignore[no-any-return]


_ManifestDumper.add_multi_representer(object, _represent_other)


def _nest(text: str, columns: int) -> str:
    pad = " " * columns
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def tojson(value: Any, indent: int | None = None, nest: int = 0) -> Encoded:
    """JSON (ASCII only, no NaN); with `nest`, lines after the first are indented by that many columns."""
    text = json.dumps(value, indent=indent, ensure_ascii=True, allow_nan=False, default=_refuse)
    return Encoded(text.replace("\n", "\n" + " " * nest) if nest else text)


def toyaml(value: Any, indent: int = 0) -> Encoded:
    """Block YAML without a trailing newline, every line indented by `indent` columns."""
    text = yaml.dump(
        value,
        Dumper=_ManifestDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=False,
        width=1_000_000_000,
    )
    return Encoded(_nest(text.rstrip("\n"), indent))


def require_encoded(value: object) -> object:
    """Jinja `finalize`: every `{{ }}` must end in `tojson` or `toyaml`."""
    if isinstance(value, Encoded):
        return value
    raise TypeError(f"template printed an unescaped {type(value).__name__}; pipe it through tojson or toyaml")
