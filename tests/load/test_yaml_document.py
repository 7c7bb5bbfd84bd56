"""The YAML loader: JSON-shaped data, a source map, YAML 1.2 scalars, and refusals of hostile input."""

from __future__ import annotations

import time

import pytest

from assay.load import Limits, SourceFile, parse_document


def parse(text: str | bytes, limits: Limits = Limits()):  # noqa: B008 - Limits is frozen
    content = text.encode() if isinstance(text, str) else text
    return parse_document(SourceFile("spec.yaml", content), limits)


def test_source_map_points_at_values_and_keys() -> None:
    document, diagnostics = parse("a: 1\nb:\n  - x\n  - {c: true}\n")
    assert diagnostics == []
    assert document is not None
    assert document.data == {"a": 1, "b": ["x", {"c": True}]}
    assert document.source_map.locate("/a") == (1, 4)
    assert document.source_map.locate("/b/1/c") == (4, 9)
    assert document.source_map.locate("/b/1/c", key=True) == (4, 6)
    assert document.source_map.locate("/b/1/missing") == (4, 5)


def test_yaml_1_2_core_scalars() -> None:
    document, _ = parse("d: 2024-01-31\nt: 2024-01-31T10:00:00Z\nw: [yes, no, on, off]\nn: [0o17, 0x1f, 010, 1.5e3, ~, null]\n")
    assert document is not None
    assert document.data["d"] == "2024-01-31"
    assert document.data["t"] == "2024-01-31T10:00:00Z"
    assert document.data["w"] == ["yes", "no", "on", "off"]
    assert document.data["n"] == [15, 31, 10, 1500.0, None, None]
    assert document.word_booleans == ("/w/0", "/w/1", "/w/2", "/w/3")


def test_quoted_word_is_not_flagged() -> None:
    document, _ = parse("w: 'no'\n")
    assert document is not None
    assert document.word_booleans == ()


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("a: 1\na: 2\n", "Y004", 2, 1),
        ("a: !!python/object/apply:os.system [ls]\n", "Y005", 1, 4),
        ("a: !!binary aGVsbG8=\n", "Y005", 1, 4),
        ("a: !custom 1\n", "Y005", 1, 4),
        ("a: 1\n---\nb: 2\n", "Y008", 2, 1),
        ("a: [1\n", "Y003", 2, 1),
        ("? [a, b]\n: 1\n", "Y011", 1, 3),
        ("a: .nan\n", "Y013", 1, 4),
        ("a: &x [*x]\n", "Y003", 1, 8),
    ],
)
def test_refusals(text: str, code: str, line: int, column: int) -> None:
    document, diagnostics = parse(text)
    assert document is None
    assert [(d.code, d.location.line, d.location.column) for d in diagnostics] == [(code, line, column)]


def test_empty_and_comment_only_files_are_refused() -> None:
    for text in ("", "# nothing here\n", "\n\n"):
        document, diagnostics = parse(text)
        assert document is None
        assert [d.code for d in diagnostics] == ["Y009"]


def test_invalid_utf8_points_at_the_byte() -> None:
    document, diagnostics = parse(b"a: 1\nb: caf\xe9\n")
    assert document is None
    (diagnostic,) = diagnostics
    assert (diagnostic.code, diagnostic.location.line, diagnostic.location.column) == ("Y002", 2, 7)


def test_billion_laughs_is_refused_quickly() -> None:
    levels = ["a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    start = time.perf_counter()
    document, diagnostics = parse("\n".join(levels) + "\n")
    elapsed = time.perf_counter() - start
    assert document is None
    assert [d.code for d in diagnostics] == ["Y006"]
    # Not a benchmark: a generous bound that fails only if expansion actually happened.
    assert elapsed < 5


def test_alias_limit_is_configurable() -> None:
    text = "a: &x 1\nb: [*x, *x, *x]\n"
    assert parse(text)[0] is not None
    document, diagnostics = parse(text, Limits(max_aliases=2))
    assert document is None
    assert diagnostics[0].code == "Y006"


def test_depth_limit() -> None:
    text = "a: " + "[" * 70 + "]" * 70 + "\n"
    document, diagnostics = parse(text)
    assert document is None
    assert diagnostics[0].code == "Y007"
    assert parse(text, Limits(max_depth=100))[0] is not None


def test_bom_is_accepted() -> None:
    document, _ = parse(b"\xef\xbb\xbfa: 1\n")
    assert document is not None
    assert document.data == {"a": 1}


def test_blob_id_matches_git() -> None:
    # `printf 'hello\n' | git hash-object --stdin`
    assert SourceFile("x", b"hello\n").blob_id == "ce013625030ba8dba906f756967f9e9ca394464a"


FAST_AND_FULL = [
    "a: 1\nb: [x, 'y', \"z\", 1.5, -2, 0o17, 0x1f, ~, null, true, False, '']\nc: {d: {e: [[], {}]}}\n",
    "text: |\n  several\n  lines\nfolded: >\n  one\n  line\nquoted: 'yes'\nplain: yes please\n",
    "- 1\n- two\n- {three: 3}\n",
    "n: [.inf, .nan]\n",
    "x: !!str 1\n",
    "x: &a [1]\ny: *a\n",
    "x: yes\n",
    "a: 1\na: 2\n",
    "? [complex]\n: key\n",
    "just a scalar\n",
    "",
    "a: 1\n---\nb: 2\n",
    "a: [1, 2\n",
    "t: !!bool yes\n",
]


@pytest.mark.parametrize("text", FAST_AND_FULL)
def test_the_fast_builder_gives_what_the_full_builder_gives(text: str) -> None:
    from assay.load.yaml_document import _build_fully
    from assay.load.yaml_events import Refusal

    document, diagnostics = parse(text)
    try:
        data, builder = _build_fully(text, Limits())
    except Refusal as refusal:
        assert document is None
        assert [d.code for d in diagnostics] == [refusal.code]
        return
    assert document is not None and diagnostics == []
    assert document.data == data and type(document.data) is type(data)
    assert document.source_map.values == builder.values
    assert document.source_map.keys == builder.keys
    assert document.word_booleans == tuple(builder.word_booleans)


@pytest.mark.parametrize("depth", range(62, 68))
def test_the_fast_builder_keeps_the_depth_limit(depth: int) -> None:
    for text in ("[" * depth + "]" * depth, "[" * depth + "1" + "]" * depth, "a: " * depth + "1"):
        test_the_fast_builder_gives_what_the_full_builder_gives(text)


@pytest.mark.parametrize("values", [49, 50, 51])
def test_the_fast_builder_keeps_the_size_limit(values: int) -> None:
    text = "[" + ", ".join(["1"] * values) + "]"
    assert (parse(text, Limits(max_nodes=50))[0] is None) == (values + 1 > 50)


def test_the_source_map_of_an_ordinary_document_is_built_on_first_use() -> None:
    document, _ = parse("a:\n  b: 1\n")
    assert document is not None
    assert document.source_map._maps is None
    assert document.source_map.locate("/a/b") == (2, 6)
    assert document.source_map._maps is not None
