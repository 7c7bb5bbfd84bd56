"""compile_plan: deterministic bytes across processes, valid against plan.schema.json, every input pinned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assay.load import SourceFile, parse_document
from assay.plan import PlanContext, Prices, canonical_digest, compile_plan
from assay.schema import build_schema_set, bundled_schema_files
from support import REPO_ROOT

SPECS = sorted(REPO_ROOT.glob("models/*/model.yaml")) + sorted(REPO_ROOT.glob("tests/fixtures/specs/valid/*.yaml"))


def compiled(path: Path, prices: Prices | None = None):  # type: ignore[no-untyped-def]
    source = SourceFile(path.relative_to(REPO_ROOT).as_posix(), path.read_bytes())
    document, problems = parse_document(source)
    assert document is not None, problems
    return compile_plan(document.data, PlanContext(source.path, source.blob_id, source.sha256, "ab" * 32, "0.1.0", prices or Prices()))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name if p.name != "model.yaml" else p.parent.name)
def test_plan_is_valid_and_its_digest_is_over_canonical_bytes(path: Path) -> None:
    plan = compiled(path)
    validator = build_schema_set(bundled_schema_files()).validator("plan")
    assert list(validator.iter_errors(json.loads(plan.canonical))) == []
    assert plan.digest == canonical_digest(json.loads(plan.canonical))
    assert plan.data["inputs"]["spec"]["blob"] == SourceFile("x", path.read_bytes()).blob_id


def test_same_inputs_same_bytes_in_processes_with_different_hash_seeds() -> None:
    code = (
        "import json,sys;from pathlib import Path;from assay.load import SourceFile,parse_document;"
        "from assay.plan import PlanContext,compile_plan\n"
        "out=[]\n"
        f"for p in sorted(Path({str(REPO_ROOT)!r}).glob('models/*/model.yaml')):\n"
        "    s=SourceFile(str(p),p.read_bytes());d,_=parse_document(s)\n"
        "    pl=compile_plan(d.data,PlanContext(s.path,s.blob_id,s.sha256,'0'*64,'0.1.0'))\n"
        "    out.append(pl.digest+' '+pl.canonical.hex())\n"
        "print(chr(10).join(out))\n"
    )
    runs = []
    for seed in ("0", "12345", "random"):
        done = subprocess.run(
            [sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True
        )
        runs.append(done.stdout)
    assert runs[0] == runs[1] == runs[2]
    assert len(runs[0].splitlines()) == 4


def test_plan_pins_its_inputs_and_fills_defaults() -> None:
    plan = compiled(REPO_ROOT / "models" / "consumer-credit-pd" / "model.yaml").data
    assert plan["inputs"]["data"]["train"]["sha256"] == plan["spec"]["data"]["train"]["sha256"]
    assert plan["inputs"]["policies"]["digest"] == "ab" * 32
    assert plan["inputs"]["assay"]["version"] == "0.1.0"
    assert [step["name"] for step in plan["training"]["steps"]] == [
        "load",
        "validate-data",
        "split",
        "fit",
        "evaluate",
        "fairness",
        "explain",
        "baseline",
        "package",
    ]
    fit = next(step for step in plan["training"]["steps"] if step["name"] == "fit")
    assert fit["dependsOn"] == ["split"]
    assert fit["command"][:5] == ["assay", "run", "consumer-credit-pd", "--step", "fit"]
    assert plan["spec"]["evaluation"]["calibrationBins"] == 10


def test_minimal_spec_skips_steps_it_has_no_inputs_for() -> None:
    plan = compiled(REPO_ROOT / "tests" / "fixtures" / "specs" / "valid" / "minimal.yaml").data
    names = [step["name"] for step in plan["training"]["steps"]]
    assert "fairness" not in names
    assert "explain" not in names
    assert plan["deployment"] == {"target": "local", "environments": []}


def test_costs_follow_the_price_table() -> None:
    path = REPO_ROOT / "models" / "consumer-credit-pd" / "model.yaml"
    cheap = compiled(path).data["deployment"]["environments"][1]["cost"]
    dear = compiled(path, Prices(cpu_hour=0.096, memory_gib_hour=0.0106)).data["deployment"]["environments"][1]["cost"]
    assert dear["monthlyUsd"] == pytest.approx(2 * cheap["monthlyUsd"], abs=0.02)
    assert cheap["basis"] == "3 x (1 CPU x $0.048/h + 2 GiB x $0.0053/h)"


def test_copy_json_copies_like_deepcopy_and_keeps_aliases_shared() -> None:
    import copy

    from assay.plan.normalize import copy_json

    shared = {"a": [1, 2.5, None, "x"]}
    data = {"one": shared, "two": shared, "list": [shared, [True]]}
    copied = copy_json(data)
    assert copied == copy.deepcopy(data)
    assert copied["one"] is copied["two"] is copied["list"][0]
    assert copied["one"] is not shared and copied["one"]["a"] is not shared["a"]
