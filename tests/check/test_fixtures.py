"""The spec fixture corpus, judged by the real `assay check` in a subprocess.

tests/fixtures/specs/valid/*.yaml must check clean: exit 0 and no diagnostic at all.
Every file under tests/fixtures/specs/invalid/ starts with its expectations, one
comment line per diagnostic it must produce:

    # expect: S003 12:5          code, line:column (1-based)
    # expect: Y009               a whole-file diagnostic, with no line
    # why: one line saying what is broken
    # bug: what assay gets wrong   (optional: the fixture is a strict xfail until fixed)

The diagnostics `assay check --format json` reports for the file (all severities)
must be exactly the expected ones. All fixtures are checked in one batched run and
each parametrized test looks its file up in that report; a second run checks the
whole folder at once. Cases that cannot live in a checked-in file (a file over the
size limit, symbolic links, an empty file, a repository's own schema) are made in
temporary repositories.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from assay.diagnostics.codes import CODES

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "specs"
VALID_DIR = FIXTURES / "valid"
INVALID_DIR = FIXTURES / "invalid"
AS_OF = "2026-06-01"  # pins any date-dependent rule, so the corpus judges the same every day
WARNING_CODES = frozenset({"Y101"})  # built-in codes reported as warnings; every other expected code is an error

_HEADER = re.compile(r"# (expect|why|bug): ?(.*)")
_EXPECT = re.compile(r"([A-Z][A-Z0-9-]*[0-9])(?: ([0-9]+):([0-9]+))?")

Key = tuple[str, int | None, int | None]


@dataclass(frozen=True)
class Fixture:
    path: Path
    expected: tuple[Key, ...]
    why: str
    bug: str

    @property
    def rel(self) -> str:
        return self.path.relative_to(FIXTURES).as_posix()

    @property
    def expects_error(self) -> bool:
        return any(code not in WARNING_CODES for code, _, _ in self.expected)


def read_fixture(path: Path) -> Fixture:
    """The expectation header of a fixture: the comment lines before its first other line."""
    text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
    expected: list[Key] = []
    notes = {"why": "", "bug": ""}
    for line in text.splitlines():
        header = _HEADER.fullmatch(line)
        if header is None:
            break
        kind, value = header.groups()
        if kind != "expect":
            notes[kind] = value
            continue
        expect = _EXPECT.fullmatch(value)
        assert expect is not None, f"{path}: malformed expectation {line!r}"
        code, line_no, column = expect.groups()
        expected.append((code, int(line_no) if line_no else None, int(column) if column else None))
    return Fixture(path, tuple(expected), notes["why"], notes["bug"])


VALID = [read_fixture(path) for path in sorted(VALID_DIR.glob("*.yaml"))]
INVALID = [read_fixture(path) for path in sorted(INVALID_DIR.rglob("*.yaml"))]


def _param(fixture: Fixture) -> Any:
    marks = [pytest.mark.xfail(reason=f"assay bug: {fixture.bug}", strict=True)] if fixture.bug else []
    return pytest.param(fixture, id=fixture.path.relative_to(FIXTURES).as_posix(), marks=marks)


def run_check(*args: str, cwd: Path = FIXTURES) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # --no-cache: the fixtures are part of the source tree, and a test must not write a cache into it.
        [sys.executable, "-m", "assay", "check", "--no-cache", "--format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUTF8": "1", "NO_COLOR": "1"},
        timeout=300,
        check=False,
    )


def report_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), (done.returncode, done.stderr)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@cache
def batch(folder: str, *rels: str) -> tuple[int, dict[str, Any]]:
    """One `assay check` over many fixtures; its exit code and JSON report."""
    done = run_check("--repo", str(FIXTURES), "--as-of", AS_OF, *rels)
    return done.returncode, report_of(done)


def invalid_batch() -> tuple[int, dict[str, Any]]:
    return batch("invalid", *(f.rel for f in INVALID))


def valid_batch() -> tuple[int, dict[str, Any]]:
    return batch("valid", *(f.rel for f in VALID))


def diagnostics_for(report: dict[str, Any], rel: str) -> list[dict[str, Any]]:
    return [d for d in report["diagnostics"] if d["file"] == rel]


def keys(diagnostics: list[dict[str, Any]]) -> Counter[Key]:
    return Counter((d["code"], d["line"], d["column"]) for d in diagnostics)


def shown(diagnostics: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {d['code']} {d['line']}:{d['column']} {d['pointer']} {d['message']} | {d['hint']}" for d in diagnostics)


# ---------------------------------------------------------------- the corpus itself


def test_corpus_is_large_enough() -> None:
    assert len(VALID) >= 6
    assert len(INVALID) >= 40
    assert all(f.expected for f in INVALID), [f.rel for f in INVALID if not f.expected]
    assert all(f.why for f in INVALID), [f.rel for f in INVALID if not f.why]
    assert not any(f.expected for f in VALID), "valid fixtures expect nothing"


# ---------------------------------------------------------------- valid fixtures


@pytest.mark.parametrize("fixture", [_param(f) for f in VALID])
def test_valid_fixture_is_clean(fixture: Fixture) -> None:
    code, report = valid_batch()
    assert fixture.rel in report["files"]
    found = diagnostics_for(report, fixture.rel)
    assert found == [], "\n" + shown(found)
    assert code == 0


# ---------------------------------------------------------------- invalid fixtures


@pytest.mark.parametrize("fixture", [_param(f) for f in INVALID])
def test_invalid_fixture_reports_exactly_what_it_expects(fixture: Fixture) -> None:
    code, report = invalid_batch()
    assert fixture.rel in report["files"]
    found = diagnostics_for(report, fixture.rel)
    assert keys(found) == Counter(fixture.expected), f"{fixture.why}\nreported:\n{shown(found)}"
    repeated = [k for k, n in Counter((d["code"], d["line"], d["column"], d["message"]) for d in found).items() if n > 1]
    assert not repeated, f"the same diagnostic reported more than once: {repeated}"
    blocking = any(d["severity"] == "error" and not d["waived"] for d in found)
    assert blocking == fixture.expects_error, "an error must fail the check; warnings alone must not"
    assert all(d["severity"] == "warning" for d in found if d["code"] in WARNING_CODES)
    assert code == 1


def test_warnings_alone_exit_0() -> None:
    """The fixtures that expect only warnings, checked on their own, pass."""
    warned = [f for f in INVALID if not f.expects_error]
    assert warned, "the corpus needs a warnings-only fixture"
    code, report = batch("warnings", *(f.rel for f in warned))
    assert code == 0
    assert report["summary"]["warnings"] >= len(warned)
    assert report["summary"]["errors"] == 0


def test_one_run_over_the_folder_reports_every_file() -> None:
    """`assay check <folder>`: one bad file never hides another."""
    done = run_check("--repo", str(FIXTURES), "--as-of", AS_OF, INVALID_DIR.relative_to(FIXTURES).as_posix())
    assert done.returncode == 1
    report = report_of(done)
    prefix = INVALID_DIR.relative_to(FIXTURES).as_posix() + "/"
    assert sorted(f for f in report["files"] if f.startswith(prefix)) == sorted(f.rel for f in INVALID)
    silent = [f.rel for f in INVALID if not f.bug and not diagnostics_for(report, f.rel)]
    assert silent == []
    _, batched = invalid_batch()
    for fixture in INVALID:
        assert diagnostics_for(report, fixture.rel) == diagnostics_for(batched, fixture.rel), fixture.rel


def test_yaml_bomb_is_refused() -> None:
    bomb = next(f for f in INVALID if f.path.name == "yaml-billion-laughs.yaml")
    _, report = invalid_batch()
    assert [d["code"] for d in diagnostics_for(report, bomb.rel)] == ["Y006"]


def test_near_miss_property_names_the_intended_one() -> None:
    fixture = next(f for f in INVALID if f.path.name == "document-unknown-top-level-near-miss.yaml")
    _, report = invalid_batch()
    unknown = [d for d in diagnostics_for(report, fixture.rel) if d["code"] == "S003"]
    assert [d["hint"] for d in unknown] == ["did you mean 'metadata'?"]


def test_strategy_typo_suggests_the_strategy() -> None:
    fixture = next(f for f in INVALID if f.path.name == "deployment-strategy-type-typo.yaml")
    _, report = invalid_batch()
    [typo] = diagnostics_for(report, fixture.rel)
    assert typo["pointer"] == "/deployment/environments/1/strategy/type"
    assert "did you mean 'canary'?" in typo["hint"]


# ---------------------------------------------------------------- cases made at test time


def _minimal_spec(name: str) -> str:
    text = (VALID_DIR / "minimal.yaml").read_text(encoding="utf-8")
    assert "name: personal-loan-pd\n" in text
    return text.replace("name: personal-loan-pd\n", f"name: {name}\n", 1)


def _git_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\n", encoding="utf-8")
    return root


def _too_large(tmp: Path) -> Path:
    repo = _git_repo(tmp / "repo")
    spec = repo / "models" / "big" / "model.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(_minimal_spec("big") + "# padding\n" * (110 * 1024), encoding="utf-8")
    assert spec.stat().st_size > 1024 * 1024
    return repo


def _link_outside(tmp: Path) -> Path:
    repo = _git_repo(tmp / "repo")
    outside = tmp / "outside" / "model.yaml"
    outside.parent.mkdir()
    outside.write_text(_minimal_spec("linked"), encoding="utf-8")
    link = repo / "models" / "linked" / "model.yaml"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    return repo


def _dangling_link(tmp: Path) -> Path:
    repo = _git_repo(tmp / "repo")
    link = repo / "models" / "dangling" / "model.yaml"
    link.parent.mkdir(parents=True)
    link.symlink_to(repo / "models" / "dangling" / "missing.yaml")
    return repo


def _empty_file(tmp: Path) -> Path:
    repo = _git_repo(tmp / "repo")
    spec = repo / "models" / "empty" / "model.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_bytes(b"")
    return repo


def _own_schema_keyword(tmp: Path) -> Path:
    """A repository's own model schema using a keyword with no dedicated code (dependentRequired)."""
    repo = _git_repo(tmp / "repo")
    schema = json.loads((REPO / "schemas" / "model.schema.json").read_text(encoding="utf-8"))
    schema["properties"]["metadata"]["dependentRequired"] = {"status": ["validators"]}
    (repo / "schemas").mkdir()
    (repo / "schemas" / "model.schema.json").write_text(json.dumps(schema, indent=2), encoding="utf-8")
    spec = repo / "models" / "strict" / "model.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(_minimal_spec("strict"), encoding="utf-8")
    return repo


@dataclass(frozen=True)
class Generated:
    """A repository made at test time, the arguments to check it with, and what must be reported."""

    id: str
    build: Callable[[Path], Path]
    expected: tuple[tuple[str, str, int | None, int | None], ...]  # file, code, line, column
    args: tuple[str, ...] = ()
    bug: str = ""


GENERATED = [
    Generated("file-too-large", _too_large, (("models/big/model.yaml", "Y001", None, None),)),
    Generated("symlink-outside-repository", _link_outside, (("models/linked/model.yaml", "Y010", None, None),)),
    Generated(
        "dangling-symlink-named", _dangling_link, (("models/dangling/model.yaml", "Y012", None, None),), ("models/dangling/model.yaml",)
    ),
    Generated(
        "dangling-symlink-discovered",
        _dangling_link,
        (("models/dangling/model.yaml", "Y012", None, None),),
    ),
    Generated("empty-file", _empty_file, (("models/empty/model.yaml", "Y009", None, None),)),
    Generated("repository-schema-keyword", _own_schema_keyword, (("models/strict/model.yaml", "S009", 5, 3),)),
]


def _generated_param(case: Generated) -> Any:
    marks = [pytest.mark.xfail(reason=f"assay bug: {case.bug}", strict=True)] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_generated_param(c) for c in GENERATED])
def test_generated_case(case: Generated, tmp_path: Path) -> None:
    repo = case.build(tmp_path)
    done = run_check("--as-of", AS_OF, *case.args, cwd=repo)
    report = report_of(done)
    found = tuple((d["file"], d["code"], d["line"], d["column"]) for d in report["diagnostics"])
    assert found == case.expected, report["diagnostics"]
    assert done.returncode == 1


# ---------------------------------------------------------------- every code is exercised


def test_every_builtin_code_is_covered() -> None:
    covered = {code for fixture in INVALID for code, _, _ in fixture.expected}
    covered |= {code for case in GENERATED for _, code, _, _ in case.expected}
    missing = sorted(set(CODES) - covered)
    assert missing == [], f"no fixture or generated case expects {missing}"
