"""The result cache: the output is the same with and without it, and a damaged or foreign cache is never trusted."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from assay.check import cache as cache_module
from assay.check import engine, parallel, scanner
from assay.check.cache import Codec, ResultCache
from assay.check.result import FileOutcome
from assay.cli.main import main
from assay.diagnostics import Diagnostic, Location, RuleInfo, Severity, WaiverStatus
from support import REPO_ROOT, bench_script

AS_OF = "2026-11-29"
SPECS = 24


def _bench() -> ModuleType:
    return bench_script("check_bench")


WAIVERS = """apiVersion: assay/v1
kind: Waivers
waivers:
{entries}"""
WAIVER = """  - rule: {rule}
    model: {model}
    pointer: /monitoring/score
    reason: accepted while the monitoring thresholds are reviewed
    ticket: MRM-{number}
    approver: elena.marsh@examplebank.com
    approved: "{approved}"
    expires: "{expires}"
"""


def edit_spec(root: Path, index: int, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "models" / f"credit-model-{index:05d}" / "model.yaml"
    spec = yaml.safe_load(path.read_text())
    change(spec)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def _unstable(spec: dict[str, Any]) -> None:
    spec["monitoring"]["score"].update(warn=0.15, alert=0.3)


def _in_production(spec: dict[str, Any]) -> None:
    spec["metadata"]["status"] = "production"


def _direct_cut_over(spec: dict[str, Any]) -> None:
    spec["deployment"]["environments"][-1]["strategy"] = {"type": "direct"}


def make_repository(root: Path, count: int = SPECS) -> list[str]:
    """Generated specs with policy findings (errors, warnings, waived, rule-by-plan), waivers (used, unused, expired),
    a schema error and a file that is not YAML."""
    paths: list[str] = _bench().generate_repository(root, count, True)
    for index in (0, 4, 7, 8, 13, 15, 21):
        edit_spec(root, index, _unstable)
    edit_spec(root, 10, _in_production)
    edit_spec(root, 11, _direct_cut_over)
    entries = [
        WAIVER.format(rule="STAB-01", model=f"credit-model-{i:05d}", number=i, approved="2026-11-01", expires="2027-01-31")
        for i in (1, 4, 8, 13)
    ]
    entries.append(WAIVER.format(rule="STAB-01", model="credit-model-00007", number=7, approved="2026-01-01", expires="2026-03-01"))
    entries.append(WAIVER.format(rule="NOPE-01", model="credit-model-00008", number=8, approved="2026-11-01", expires="2027-01-31"))
    (root / "policies" / "waivers.yaml").write_text(WAIVERS.format(entries="".join(entries)))
    broken = root / "models" / "credit-model-00002" / "model.yaml"
    broken.write_text(broken.read_text().replace("riskTier: ", "riskTier: 9", 1))
    (root / "models" / "zz-not-yaml").mkdir()
    (root / "models" / "zz-not-yaml" / "model.yaml").write_text("a: 1\na: 2\n")
    return paths


def check(root: Path, *args: str) -> tuple[int, str]:
    """Run `assay check` in this process; its exit code and standard output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["check", "--repo", str(root), "--as-of", AS_OF, "--no-color", *args])
    return code, out.getvalue()


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Index files however recently they changed, so the stat index is exercised (tests change files on purpose)."""
    monkeypatch.setattr(scanner, "SETTLE_NS", 0)


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use worker processes even for a small repository, several files per chunk."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(parallel, "MIN_CHUNK", 3)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    make_repository(root)
    return root


def fresh_copy(generated: Path, tmp_path: Path) -> Path:
    """A fresh copy of a generated repository, without any cache."""
    root = tmp_path / "repo"
    shutil.copytree(generated, root, ignore=shutil.ignore_patterns(".assay"))
    return root


@pytest.fixture
def repo(generated: Path, tmp_path: Path) -> Path:
    return fresh_copy(generated, tmp_path)


def cache_files(root: Path, kind: str) -> list[Path]:
    folder = root / ".assay" / "cache" / "v1"
    if kind == "entries":
        return sorted(p for p in (folder / "entries").rglob("*") if p.is_file() and not p.name.startswith("."))
    if kind == "snapshots":
        return sorted((folder / "snapshots").iterdir())
    return [folder / "index"]


def forget_snapshots_and_index(root: Path) -> None:
    for path in [*cache_files(root, "snapshots"), *cache_files(root, "index")]:
        path.unlink(missing_ok=True)


@pytest.mark.usefixtures("small_pool")
@pytest.mark.parametrize("output_format", ["json", "text", "sarif"])
def test_same_output_with_and_without_cache_and_workers(repo: Path, output_format: str) -> None:
    reference = check(repo, "--format", output_format, "--no-cache", "--jobs", "1")
    assert reference[0] == 1 and reference[1]
    runs = {
        "no cache, 3 jobs": check(repo, "--format", output_format, "--no-cache", "--jobs", "3"),
        "cold cache, 1 job": check(repo, "--format", output_format, "--jobs", "1"),
        "warm cache, 1 job": check(repo, "--format", output_format, "--jobs", "1"),
    }
    shutil.rmtree(repo / ".assay")
    runs["cold cache, 3 jobs"] = check(repo, "--format", output_format, "--jobs", "3")
    runs["warm cache, 3 jobs"] = check(repo, "--format", output_format, "--jobs", "3")
    forget_snapshots_and_index(repo)
    runs["entries only"] = check(repo, "--format", output_format)
    for name, run in runs.items():
        assert run == reference, name


def test_the_generated_repository_exercises_what_the_cache_must_keep(repo: Path) -> None:
    _, output = check(repo, "--format", "json", "--no-cache")
    codes = {d["code"] for d in json.loads(output)["diagnostics"]}
    waivers = [d["waiver"] for d in json.loads(output)["diagnostics"] if "waiver" in d]
    assert {"S006", "Y004", "W001", "STAB-01", "VAL-02", "DEP-01"} <= codes
    assert any(w["applied"] for w in waivers)
    assert any(not w["applied"] and "expired" in w["rejectedBecause"] for w in waivers)


@pytest.mark.usefixtures("small_pool")
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_same_output_on_the_examples(tmp_path: Path, output_format: str) -> None:
    root = tmp_path / "examples"
    for name in ("models", "policies", "schemas", "keys", "evidence", "deploy"):
        if (REPO_ROOT / name).is_dir():
            shutil.copytree(REPO_ROOT / name, root / name)
    shutil.copy(REPO_ROOT / "assay.yaml", root / "assay.yaml")
    reference = check(root, "--format", output_format, "--no-cache", "--jobs", "1")
    assert reference[0] == 0
    for jobs in ("1", "3"):
        assert check(root, "--format", output_format, "--no-cache", "--jobs", jobs) == reference
        assert check(root, "--format", output_format, "--jobs", jobs) == reference  # cold or warm
        assert check(root, "--format", output_format, "--jobs", jobs) == reference  # warm
    assert cache_files(root, "entries")


def test_a_warm_run_judges_only_what_changed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[str] = []
    original = engine.compute_outcomes

    def counting(tree, sources, *args, **kwargs):  # type: ignore[no-untyped-def]
        computed.extend(source.path for source in sources)
        return original(tree, sources, *args, **kwargs)

    monkeypatch.setattr(engine, "compute_outcomes", counting)
    check(repo)
    assert len(computed) == SPECS + 1
    computed.clear()
    check(repo)
    assert computed == []
    spec = repo / "models" / "credit-model-00003" / "model.yaml"
    spec.write_text(spec.read_text().replace("monitoring:", "monitoring:\n  # reviewed", 1))
    check(repo)
    assert computed == ["models/credit-model-00003/model.yaml"]


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


def damage(paths: list[Path], own: ResultCache, stranger: ResultCache) -> list[str]:
    """Damage each entry a different way; name the ways."""
    ways = ["body byte", "mac byte", "truncated", "empty", "other key", "other secret", "not framed", "signed, wrong shape"]
    done = []
    for index, path in enumerate(paths):
        way = ways[index % len(ways)]
        key = path.name
        if way == "body byte":
            flip(path, -5)
        elif way == "mac byte":
            flip(path, len(cache_module.FORMAT) + 1 + len(key) + 3)
        elif way == "truncated":
            path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
        elif way == "empty":
            path.write_bytes(b"")
        elif way == "other key":
            path.write_bytes(paths[(index + 1) % len(paths)].read_bytes())
        elif way == "other secret":
            value = json.loads(path.read_bytes().partition(b"\n")[2])
            value["outcome"][5] = []  # a forged entry that says the file has no findings
            stranger.store(path, key, value)
        elif way == "not framed":
            path.write_bytes(b'{"outcome": []}')
        else:
            own.store(path, key, {"outcome": ["models/x/model.yaml", "yes"], "evidence": None, "tables": {"rules": [], "texts": []}})
        done.append(way)
    return done


def test_damaged_or_foreign_entries_are_ignored_and_rewritten(repo: Path, tmp_path: Path) -> None:
    reference = check(repo, "--format", "json", "--no-cache")
    assert check(repo, "--format", "json") == reference
    forget_snapshots_and_index(repo)
    entries = cache_files(repo, "entries")
    assert len(entries) == SPECS + 1
    own = ResultCache.open(repo)
    assert own is not None
    ways = damage(entries, own, ResultCache(tmp_path / "stranger", b"another cache's secret"))
    unframed = [path for path in entries if own.load(path, path.name) is None]
    assert len(unframed) == len(entries) - ways.count("signed, wrong shape")
    assert check(repo, "--format", "json") == reference, ways
    assert all(own.load(path, path.name)["outcome"][0].startswith("models/") for path in entries)
    assert all(len(own.load(path, path.name)["outcome"]) == 6 for path in entries), "every damaged entry was rewritten"


@pytest.mark.parametrize("kind", ["snapshots", "index"])
@pytest.mark.parametrize("way", ["flip", "truncate", "swap secret"])
def test_a_damaged_snapshot_or_index_is_ignored(repo: Path, kind: str, way: str) -> None:
    reference = check(repo, "--format", "json", "--no-cache")
    check(repo, "--format", "json")
    for path in cache_files(repo, kind):
        if way == "flip":
            flip(path, len(path.read_bytes()) // 2)
        elif way == "truncate":
            path.write_bytes(path.read_bytes()[:100])
        else:
            (repo / ".assay" / "cache" / "secret").write_text("f" * 64)
    assert check(repo, "--format", "json") == reference
    assert check(repo, "--format", "json") == reference


def test_a_forged_entry_cannot_hide_a_finding(repo: Path) -> None:
    """Even a well-formed entry saying 'no findings' is refused unless this cache's secret signed it."""
    reference = check(repo, "--format", "json", "--no-cache")
    check(repo, "--format", "json")
    forget_snapshots_and_index(repo)
    forger = ResultCache(repo / ".assay" / "cache", b"guessed secret")
    for path in cache_files(repo, "entries"):
        value = json.loads(path.read_bytes().partition(b"\n")[2])
        value["outcome"][5] = []
        forger.store(path, path.name, value)
    assert check(repo, "--format", "json") == reference


def test_the_secret_can_come_from_the_environment(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = check(repo, "--format", "json", "--no-cache")
    monkeypatch.setenv("ASSAY_CACHE_SECRET", "ci secret")
    assert check(repo, "--format", "json") == reference
    entries = cache_files(repo, "entries")
    assert ResultCache(repo / ".assay" / "cache", b"ci secret").load(entries[0], entries[0].name) is not None
    local = ResultCache.open(repo, {})
    assert local is not None and local.load(entries[0], entries[0].name) is None
    monkeypatch.delenv("ASSAY_CACHE_SECRET")
    assert check(repo, "--format", "json") == reference


def test_editing_a_parameter_in_assay_yaml_changes_the_results(repo: Path) -> None:
    before = check(repo, "--format", "json")
    assert before == check(repo, "--format", "json")
    config = repo / "assay.yaml"
    config.write_text(config.read_text() + "parameters:\n  STAB-01:\n    maxAlert: 1.0\n    maxWarn: 1.0\n")
    after = check(repo, "--format", "json")
    assert after == check(repo, "--format", "json", "--no-cache")
    assert after != before
    stab = [d for d in json.loads(after[1])["diagnostics"] if d["code"] == "STAB-01"]
    assert len(stab) < len([d for d in json.loads(before[1])["diagnostics"] if d["code"] == "STAB-01"])


def test_editing_waivers_a_policy_or_the_date_changes_the_results(repo: Path) -> None:
    before = check(repo, "--format", "json")
    waivers = repo / "policies" / "waivers.yaml"
    waivers.write_text(waivers.read_text().replace('expires: "2026-03-01"', 'expires: "2027-01-31"').replace("2026-01-01", "2026-11-01"))
    after = check(repo, "--format", "json")
    assert after == check(repo, "--format", "json", "--no-cache") != before
    rules = repo / "policies" / "model-risk.yaml"
    rules.write_text(rules.read_text().replace("default: 0.25", "default: 0.5", 1))
    assert check(repo, "--format", "json") == check(repo, "--format", "json", "--no-cache") != after
    later = ["--format", "json", "--as-of", "2027-02-15"]
    assert check(repo, *later) == check(repo, *later, "--no-cache")


def test_a_new_model_changes_what_every_model_is_judged_with(repo: Path) -> None:
    check(repo)
    source = repo / "models" / "credit-model-00001" / "model.yaml"
    copy = repo / "models" / "credit-model-99999" / "model.yaml"
    copy.parent.mkdir()
    copy.write_text(source.read_text().replace("credit-model-00001", "credit-model-99999"))
    assert check(repo, "--format", "json") == check(repo, "--format", "json", "--no-cache")


def test_a_changed_file_with_the_same_size_and_mtime_is_judged_again(repo: Path) -> None:
    spec = repo / "models" / "credit-model-00004" / "model.yaml"
    old = os.stat(spec)
    os.utime(spec, ns=(old.st_atime_ns, old.st_mtime_ns - 10_000_000_000))  # settled long ago: indexed
    check(repo)
    stat = os.stat(spec)
    text = spec.read_text()
    spec.write_text(text.replace("owner:", "ownex:", 1))
    os.utime(spec, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(spec).st_size == stat.st_size
    assert check(repo, "--format", "json") == check(repo, "--format", "json", "--no-cache")


def test_a_spec_replaced_by_a_link_out_of_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    check(repo)
    folder = repo / "models" / "credit-model-00005"
    outside = tmp_path / "outside"
    shutil.move(folder, outside)
    folder.symlink_to(outside)
    code, output = check(repo, "--format", "json")
    assert (code, output) == check(repo, "--format", "json", "--no-cache")
    assert "Y010" in {d["code"] for d in json.loads(output)["diagnostics"]}


def test_evidence_records_are_part_of_the_key(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An outcome whose rules read a model's evidence is reused only while its records are unchanged."""
    import assay.cli.check as cli_check

    original_load = cli_check.load_judges

    def with_trust(tree, *, known_good=False):  # type: ignore[no-untyped-def]
        judges, config_problems, policy_problems = original_load(tree, known_good=known_good)
        return __import__("dataclasses").replace(judges, trust=object()), config_problems, policy_problems

    monkeypatch.setattr(cli_check, "load_judges", with_trust)
    computed: list[str] = []
    original = engine.compute_outcomes

    def counting(tree, sources, *args, **kwargs):  # type: ignore[no-untyped-def]
        computed.extend(source.path for source in sources)
        return original(tree, sources, *args, **kwargs)

    monkeypatch.setattr(engine, "compute_outcomes", counting)
    reference = check(repo, "--format", "json")
    computed.clear()
    assert check(repo, "--format", "json") == reference
    assert computed == []
    records = repo / "evidence" / "credit-model-00009" / "records"
    records.mkdir(parents=True)
    (records / "README.txt").write_text("not a record, but part of the folder\n")
    assert check(repo, "--format", "json") == reference
    assert computed == ["models/credit-model-00009/model.yaml"]


def test_outcomes_round_trip_exactly() -> None:
    rule = RuleInfo("FL-05", "Adverse impact ratio", ("ECOA / Reg B", "12 CFR 1002.6"), "How to fix: raise it.\nnext line")
    waiver = WaiverStatus(False, "MRM-1", "reason ü", "2027-01-01", "a@b", "it expired on 2026-01-01")
    outcome = FileOutcome(
        "models/x/model.yaml",
        (
            Diagnostic(
                "FL-05", Severity.ERROR, 'ratio 0.7 < 0.8 "quoted"', Location("models/x/model.yaml", 3, 5, "/a/b~1c"), "hint", rule, waiver
            ),
            Diagnostic(
                "Y001", Severity.WARNING, "whole file \udcff", Location("models/x/model.yaml"), related=(Location("other.yaml", 1, 1),)
            ),
            Diagnostic("FL-05", Severity.NOTE, "again", Location("policies/waivers.yaml", 9, 3, "/waivers/0"), "hint", rule),
        ),
        parsed=True,
        model="x",
        used_waivers=(0, 3),
        evidence_model="x",
    )
    codec = Codec()
    encoded = json.loads(json.dumps({"outcome": codec.encode(outcome), "tables": codec.tables()}))
    decoded = Codec(encoded["tables"]).decode(encoded["outcome"])
    assert decoded == outcome
    assert [type(d.location.line) for d in decoded.diagnostics] == [int, type(None), int]
    bare = FileOutcome("a.yaml", (), parsed=False)
    assert Codec().decode(json.loads(json.dumps(Codec().encode(bare)))) == bare


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        "x",
        ["a", True, None, [], None],
        ["a", "yes", None, [], None, []],
        ["a", True, None, [-1], None, [["S001"]]],
        [1, True, None, [], None, []],
    ],
)
def test_malformed_outcomes_decode_to_nothing(value: object) -> None:
    assert Codec().decode(value) is None


def test_no_cache_writes_nothing_and_an_unwritable_cache_is_skipped(repo: Path) -> None:
    reference = check(repo, "--no-cache")
    assert not (repo / ".assay").exists()
    (repo / ".assay").write_text("a file where the cache folder would go\n")
    assert check(repo) == reference


def test_the_cache_stays_out_of_git(repo: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    check(repo)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, capture_output=True, text=True, check=True)
    assert ".assay" not in status.stdout


def test_concurrent_runs_agree(repo: Path) -> None:
    """Two processes filling the same cold cache at once both succeed, with the same output."""
    command = [sys.executable, "-m", "assay", "check", "--format", "json", "--as-of", AS_OF, "--repo", str(repo)]
    reference = subprocess.run([*command, "--no-cache"], capture_output=True, text=True, check=False)
    for _round in ("cold", "warm"):
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [run.communicate(timeout=300) for run in runs]
        assert [run.returncode for run in runs] == [reference.returncode] * 2, outputs
        assert [out for out, _ in outputs] == [reference.stdout] * 2
    cache = ResultCache.open(repo)
    assert cache is not None
    assert all(cache.load(path, path.name) is not None for path in cache_files(repo, "entries"))


def test_prune_removes_old_entries_and_stray_temporary_files(repo: Path) -> None:
    check(repo)
    cache = ResultCache.open(repo)
    assert cache is not None
    entries = cache_files(repo, "entries")
    stray = entries[0].parent / ".tmp-abandoned"
    stray.write_bytes(b"half")
    old = 1_000_000_000.0
    for path in [entries[0], stray]:
        os.utime(path, (old, old))
    (cache.data / "pruned").unlink()
    cache.prune()
    assert not entries[0].exists() and not stray.exists() and entries[1].exists()
    assert check(repo, "--format", "json") == check(repo, "--format", "json", "--no-cache")


def test_recently_changed_files_are_not_indexed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed within the timestamp granularity of its last hashing could change again unseen: hash it next time."""
    monkeypatch.setattr(scanner, "SETTLE_NS", 2_000_000_000)
    settled = repo / "models" / "credit-model-00001" / "model.yaml"
    os.utime(settled, ns=(0, 1_000_000_000))
    check(repo)
    cache = ResultCache.open(repo)
    assert cache is not None
    index = cache.load(cache.index_path, "index")
    # ctime cannot be set back: every file in a fresh copy changed just now, so none is indexed.
    assert index is None or "models/credit-model-00001/model.yaml" not in index["files"]
    monkeypatch.setattr(scanner, "SETTLE_NS", -10_000_000_000)
    check(repo)
    index = cache.load(cache.index_path, "index")
    assert index is not None and "models/credit-model-00001/model.yaml" in index["files"]
