"""The judges' summary in the cache: a warm run loads no judges, yet reports exactly what a run without the cache does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import assay.cli.check as check_module
from assay.check.judging import decode_summary, encode_summary, summarize
from assay.cli.repository import load_judges
from assay.load.tree import WorktreeTree
from check.test_cache import check, flip, fresh_copy, make_repository

P001_BUNDLE = """apiVersion: assay/v1
kind: PolicyBundle
metadata: {name: broken, description: A rule that does not compile.}
rules:
  - id: BRK-01
    title: Broken
    description: Does not compile.
    severity: deny
    references: ["test"]
    condition: "spec.metadata.name == "
    message: never
    pointer: /metadata
    tests:
      - {name: any, spec: {metadata: {name: x}}, expect: pass}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("judged")
    make_repository(root, 24)
    (root / "policies" / "broken.yaml").write_text(P001_BUNDLE)
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\nparameters:\n  STAB-01: {noSuchParameter: 1}\n")
    return root


@pytest.fixture
def repo(generated: Path, tmp_path: Path) -> Path:
    return fresh_copy(generated, tmp_path)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time `assay check` loads the judges (the real loader, counted)."""
    calls: list[str] = []

    def counted(tree, *, known_good=False):  # type: ignore[no-untyped-def]
        calls.append(type(tree).__name__ + (" (known good)" if known_good else ""))
        return load_judges(tree, known_good=known_good)

    monkeypatch.setattr(check_module, "load_judges", counted)
    return calls


def test_a_warm_run_loads_no_judges_and_reports_the_same_problems(repo: Path, loads: list[str]) -> None:
    reference = check(repo, "--format", "json", "--no-cache")
    assert '"P001"' in reference[1] and '"P004"' in reference[1], "problems of the judges themselves are reported"
    assert check(repo, "--format", "json") == reference
    assert check(repo, "--format", "text") == check(repo, "--format", "text", "--no-cache")
    loads.clear()
    assert check(repo, "--format", "json") == reference
    assert loads == []
    spec = repo / "models" / "credit-model-00003" / "model.yaml"
    spec.write_text(spec.read_text().replace("monitoring:", "monitoring:\n  # reviewed", 1))
    assert check(repo, "--format", "json") == reference
    assert loads == ["WorktreeTree"], "one spec to judge: the judges are loaded then"


@pytest.mark.parametrize(
    "change",
    ["new policy file", "policy edited", "policy removed", "assay.yaml edited", "schema override", "trust root"],
)
def test_any_change_to_what_judges_is_seen(repo: Path, loads: list[str], change: str) -> None:
    check(repo, "--format", "json")
    if change == "new policy file":
        (repo / "policies" / "more.yml").write_text(P001_BUNDLE.replace("BRK-01", "BRK-02"))
    elif change == "policy edited":
        path = repo / "policies" / "broken.yaml"
        path.write_text(path.read_text().replace("Does not compile.", "Still does not compile."))
    elif change == "policy removed":
        (repo / "policies" / "broken.yaml").unlink()
    elif change == "assay.yaml edited":
        (repo / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\n")
    elif change == "schema override":
        (repo / "schemas").mkdir()
        shutil.copy(Path(check_module.__file__).resolve().parents[3] / "schemas" / "model.schema.json", repo / "schemas")
    else:
        (repo / "keys").mkdir()
        (repo / "keys" / "trust.yaml").write_text("apiVersion: assay/v1\nkind: TrustRoot\nkeys: []\n")
    loads.clear()
    warm = check(repo, "--format", "json")
    assert loads == ["RecordingTree"], "the recorded reads no longer replay: the judges are loaded again"
    assert warm == check(repo, "--format", "json", "--no-cache")


@pytest.mark.parametrize("way", ["flip", "truncate", "swap secret"])
def test_a_damaged_judges_record_is_ignored(repo: Path, loads: list[str], way: str) -> None:
    reference = check(repo, "--format", "json", "--no-cache")
    check(repo, "--format", "json")
    (record,) = (repo / ".assay" / "cache" / "v1" / "judges").iterdir()
    if way == "flip":
        flip(record, len(record.read_bytes()) // 2)
    elif way == "truncate":
        record.write_bytes(record.read_bytes()[:100])
    else:
        (repo / ".assay" / "cache" / "secret").write_text("f" * 64)
    loads.clear()
    assert check(repo, "--format", "json") == reference
    assert loads == ["RecordingTree"]


def test_a_summary_round_trips_and_garbage_decodes_to_nothing(repo: Path) -> None:
    tree = WorktreeTree(repo)
    judges, _, policy_problems = load_judges(tree)
    summary = summarize(judges, tree, policy_problems[:1], policy_problems)
    assert summary.waivers and summary.config_problems and summary.policy_problems
    assert decode_summary(encode_summary(summary)) == summary
    encoded = encode_summary(summary)
    encoded["waivers"][0][0] = 7
    assert decode_summary(encoded) is None
    encoded = encode_summary(summary)
    encoded["limits"] = ["1", 2, 3, 4]
    assert decode_summary(encoded) is None


def test_reads_keep_the_default_size_limit(repo: Path) -> None:
    """An oversized assay.yaml is refused (Y001) the same with the judges' record as without it."""
    (repo / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\n" + "#" * (1024 * 1024) + "\n")
    reference = check(repo, "--format", "json", "--no-cache")
    assert '"Y001"' in reference[1]
    assert check(repo, "--format", "json") == reference
    assert check(repo, "--format", "json") == reference


def test_judges_known_good_are_not_checked_twice_and_judge_the_same(repo: Path, loads: list[str]) -> None:
    """Without problems in the judges, a replayed summary loads them without re-checking template syntax;
    with problems, they are loaded in full, so a problem is never skipped."""
    spec = repo / "models" / "credit-model-00003" / "model.yaml"
    check(repo, "--format", "json")
    spec.write_text(spec.read_text().replace("monitoring:", "monitoring:\n  # reviewed", 1))
    loads.clear()
    check(repo, "--format", "json")
    assert loads == ["WorktreeTree"], "the judges have problems (P001, P004): loaded in full"

    (repo / "policies" / "broken.yaml").unlink()
    (repo / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\n")
    reference = check(repo, "--format", "json", "--no-cache")
    check(repo, "--format", "json")
    spec.write_text(spec.read_text().replace("# reviewed", "# reviewed again", 1))
    loads.clear()
    assert check(repo, "--format", "json") == reference
    assert loads == ["WorktreeTree (known good)"]
