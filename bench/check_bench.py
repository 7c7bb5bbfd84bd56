"""Benchmark `assay check` against `check-jsonschema` on a generated repository of model specs.

Run: python bench/check_bench.py [--specs N] [--large] [--keep DIR] [--policies] [--strict]
Results are printed as a table and written to bench/results/check.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "models" / "consumer-credit-pd" / "model.yaml"
SCHEMA = ROOT / "schemas" / "model.schema.json"
RESULTS = ROOT / "bench" / "results" / "check.json"
HEAVY = ("sklearn", "numpy", "pandas", "scipy")
MARK = {True: "PASS", False: "FAIL"}
TARGET_RATIO, TARGET_ONE_SPEC, ONE_SPEC_RUNS, SEED = 5.0, 0.3, 5, 20260314

FIRST = ("Dana", "Priya", "Tom", "Elena", "Marcus", "Aiko", "Luis", "Fatima", "Grace", "Olu", "Sven", "Mei")
LAST = ("Whitfield", "Raman", "Okafor", "Marsh", "Nguyen", "Castillo", "Haddad", "Kowalski", "Adeyemi", "Larsen")
ROLES = ("Credit Risk Analytics", "Model Development", "Decision Science", "Risk Modeling")
PRODUCTS = ("Unsecured personal loan", "Credit card", "Auto loan", "Student loan refinance", "Point-of-sale loan")
USE_CASES = ("credit-underwriting", "line-management", "pricing", "collections", "cecl-loss-forecasting")
TARGETS = ("kserve", "seldon", "sagemaker", "azureml", "vertex", "local")
ESTIMATORS: tuple[str, ...] = tuple(
    json.loads(SCHEMA.read_text(encoding="utf-8"))["properties"]["training"]["properties"]["estimator"]["properties"]["class"]["enum"]
)
# (name stem, what it measures, adverse-action reason, monotone direction) for windowed bureau attributes.
MEASURES = (
    ("revolving_balance", "Total revolving balance", "Balances on revolving accounts are too high", "increasing"),
    ("utilization", "Revolving balances divided by revolving limits", "Proportion of balances to credit limits is too high", "increasing"),
    ("inquiries", "Number of hard credit inquiries", "Number of recent inquiries on credit bureau report", "increasing"),
    ("delinquencies", "Number of 30+ day delinquencies", "Delinquent past or present credit obligations with others", "increasing"),
    ("new_accounts", "Number of accounts opened", "Too many accounts recently opened", "increasing"),
    ("payment_ratio", "Payments made divided by payments due", "Insufficient payment history on existing obligations", "decreasing"),
    ("max_dpd", "Worst days past due on any tradeline", "Serious delinquency on existing obligations", "increasing"),
    ("installment_balance", "Total installment balance", "Balances on installment accounts are too high", "increasing"),
    ("cash_advances", "Number of cash advances", "Frequent use of cash advances", "increasing"),
    ("months_since_delinquency", "Months since the most recent delinquency", "Time since delinquency is too short", "decreasing"),
)
WINDOWS = (3, 6, 12, 24, 36)


def generate_spec(example: dict[str, Any], index: int, rng: random.Random) -> dict[str, Any]:
    """One valid spec derived from the example, varied deterministically by `rng`."""
    spec = copy.deepcopy(example)
    name = f"credit-model-{index:05d}"
    meta, data = spec["metadata"], spec["data"]
    meta["name"] = name
    meta["version"] = f"{rng.randint(0, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 30)}"
    product = rng.choice(PRODUCTS)
    meta["title"] = f"{product} model {index:05d}"
    meta["products"] = [product]
    meta["description"] = f"Scores {product.lower()} applicants with the probability of 90+ days past due within 12 months."
    validators = {person["email"] for person in example["metadata"].get("validators", [])}
    meta["owner"] = _person(rng, "Head of Consumer Credit Risk", validators)
    meta["developers"] = [_person(rng, rng.choice(ROLES), validators) for _ in range(rng.randint(1, 3))]
    meta["riskTier"] = rng.randint(1, 3)
    meta["useCase"] = rng.choice(USE_CASES)
    # Production needs a signed approval of the exact plan in evidence/ (VAL-02), which the generator does not forge.
    meta["status"] = rng.choice(("development", "validation"))
    if meta["useCase"] == "cecl-loss-forecasting":
        spec["cecl"] = {
            "forecastHorizonMonths": rng.choice((12, 24, 36)),
            "reversionMethod": rng.choice(("immediate", "straight-line")),
            "qualitativeFactors": "Q-factor framework of the allowance committee, reviewed quarterly",
        }
    for dataset in ("train", "outOfTime"):
        data[dataset]["uri"] = f"models/{name}/data/{dataset}.csv"
        data[dataset]["sha256"] = f"{rng.getrandbits(256):064x}"
    windowed = [_windowed(*measure, window, rng) for measure in MEASURES for window in WINDOWS]
    features = {feature["name"]: feature for feature in [*windowed, *example["data"]["features"]]}  # example wins on a clash
    data["features"] = rng.sample(sorted(features.values(), key=lambda f: f["name"]), rng.randint(6, 20))
    estimator = rng.choice(ESTIMATORS)
    spec["training"]["estimator"] = {"class": estimator, "params": _params(estimator, rng)}
    spec["training"]["split"].update(testSize=rng.choice((0.2, 0.25, 0.3)), seed=rng.randint(0, 2**32 - 1))
    auc = round(rng.uniform(0.68, 0.8), 2)  # above every tier's floor (PERF-01)
    spec["evaluation"]["gates"] = [
        {"metric": "auc", "dataset": "test", "min": auc},
        {"metric": "auc", "dataset": "outOfTime", "min": round(auc - 0.02, 2)},
        {"metric": "ks", "dataset": "outOfTime", "min": round(rng.uniform(0.21, 0.35), 2)},
    ]
    spec["fairness"]["decisionThreshold"] = round(rng.uniform(0.3, 0.7), 2)
    spec["fairness"]["metrics"][0]["min"] = rng.choice((0.8, 0.85, 0.9))
    spec["explainability"]["method"] = "coefficients" if estimator == "LogisticRegression" else "permutation"
    spec["explainability"]["principalReasons"] = rng.randint(2, 4)
    warn = round(rng.uniform(0.05, 0.1), 2)  # within the PSI ceilings (STAB-01)
    spec["monitoring"]["score"].update(warn=warn, alert=min(0.25, round(warn * 2.5, 2)))
    spec["monitoring"]["schedule"] = rng.choice(("weekly", "monthly", "quarterly"))
    deployment = spec["deployment"]
    deployment["target"] = rng.choice(TARGETS)
    production = deployment["environments"][-1]
    production["strategy"] = _strategy(rng)
    production["resources"]["replicas"] = rng.randint(2, 12)
    return spec


def _person(rng: random.Random, role: str, validators: set[str]) -> dict[str, str]:
    """Someone who is not one of the model's validators (their independence is a rule, VAL-01)."""
    while True:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}@examplebank.com".lower()
        if email not in validators:
            return {"name": f"{first} {last}", "email": email, "role": role}


def _windowed(stem: str, what: str, reason: str, monotone: str, window: int, rng: random.Random) -> dict[str, Any]:
    return {
        "name": f"{stem}_{window}m",
        "type": "numeric",
        "description": f"{what} over the last {window} months, from the bureau.",
        "reason": reason,
        "piiClass": "none",
        "monotone": monotone,
        "range": {"min": 0, "max": rng.choice((1, 2, 50, 1000, 100000))},
    }


def _params(estimator: str, rng: random.Random) -> dict[str, Any]:
    if estimator == "LogisticRegression":
        return {"C": rng.choice((0.1, 0.5, 1.0)), "max_iter": 1000, "class_weight": "balanced"}
    params: dict[str, Any] = {"max_depth": rng.randint(3, 8)}
    if estimator in ("HistGradientBoostingClassifier", "GradientBoostingClassifier"):
        params["learning_rate"] = rng.choice((0.03, 0.05, 0.1))
    if estimator != "DecisionTreeClassifier":
        params["max_iter" if estimator.startswith("Hist") else "n_estimators"] = rng.choice((100, 200, 400))
    return params


def _strategy(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(("canary", "blue-green", "shadow"))  # no direct cut-over in production (DEP-01)
    rollback = {"condition": f"error rate > {rng.randint(1, 5)}% over 15m", "automatic": rng.random() < 0.5}
    if kind == "canary":
        first = rng.choice((5, 10))
        return {"type": kind, "steps": [{"traffic": first, "pause": f"{rng.choice((1, 12, 24))}h"}, {"traffic": 100}], "rollback": rollback}
    if kind == "shadow":
        return {"type": kind, "mirrorPercent": rng.randint(5, 50)}
    return {"type": kind, "rollback": rollback}


def generate_repository(root: Path, count: int, with_policies: bool) -> list[str]:
    """Write assay.yaml and `count` specs under `root`; return their repository-relative paths."""
    example = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    rng = random.Random(SEED)
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\n", encoding="utf-8")
    if with_policies:
        shutil.copytree(ROOT / "policies", root / "policies")
    paths = []
    for index in range(count):
        relative = f"models/credit-model-{index:05d}/model.yaml"
        (root / relative).parent.mkdir(parents=True)
        (root / relative).write_text(yaml.safe_dump(generate_spec(example, index, rng), sort_keys=False), encoding="utf-8")
        paths.append(relative)
    return paths


def tool(executable: str, module: str, package: str) -> list[str]:
    """The console script next to this interpreter, else `python -m module`, else a clear exit."""
    script = Path(sys.executable).parent / executable
    if script.exists():
        return [str(script)]
    if importlib.util.find_spec(module) is not None:
        return [sys.executable, "-m", module]
    sys.exit(f"{executable} is not installed for {sys.executable}; run: {sys.executable} -m pip install {package}")


def chunks(fixed: list[str], paths: list[str]) -> list[list[str]]:
    """Split `paths` so each command line stays well inside the OS argument limit."""
    budget = min(os.sysconf("SC_ARG_MAX") if hasattr(os, "sysconf") else 32_000, 1_000_000) // 2 - sum(len(a) + 1 for a in fixed)
    groups: list[list[str]] = [[]]
    used = 0
    for path in paths:
        if groups[-1] and used + len(path) + 1 > budget:
            groups.append([])
            used = 0
        groups[-1].append(path)
        used += len(path) + 1
    return groups


def run_checked(label: str, commands: list[list[str]], cwd: Path) -> float:
    """Total wall time of `commands`; abort unless every one exits 0."""
    total = 0.0
    for command in commands:
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        total += time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{label} did not report all files valid (exit {done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return total


def heavy_imports(spec: str, cwd: Path) -> list[str]:
    """Heavy top-level packages imported by a one-spec check, from `python -X importtime`."""
    command = [sys.executable, "-X", "importtime", "-m", "assay", "check", spec]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"python -m assay check {spec} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    log = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    if not log:
        sys.exit("python -X importtime printed no import log; cannot check the one-spec imports")
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in log}
    return sorted(modules & set(HEAVY))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--specs", type=int, default=1000, help="number of specs to generate (default 1000)")
    parser.add_argument("--large", action="store_true", help="generate 10,000 specs")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate the repository in DIR (new or empty) and keep it")
    parser.add_argument("--policies", action="store_true", help="also copy the repository's policies/ so assay evaluates them")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    count = 10_000 if args.large else args.specs
    if count < 1:
        parser.error("--specs must be at least 1")
    assay, checker = tool("assay", "assay", "-e ."), tool("check-jsonschema", "check_jsonschema", "check-jsonschema")
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        sys.exit(f"--keep {args.keep}: folder is not empty")
    root = args.keep.resolve() if args.keep is not None else Path(tempfile.mkdtemp(prefix="assay-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        print(f"generating {count} specs in {root} ...", flush=True)
        paths = generate_repository(root, count, args.policies)
        whole = [[*assay, "check", "--format", "json", "--no-cache", "--repo", str(root)]]  # cold: no result cache
        fixed = [*checker, "--schemafile", str(SCHEMA)]
        schema_runs = [[*fixed, *group] for group in chunks(fixed, paths)]
        one = str(root / paths[0])
        print("verifying that both tools report every spec valid ...", flush=True)
        run_checked("assay check", whole, root)
        run_checked("check-jsonschema", schema_runs, root)
        print("timing ...", flush=True)
        assay_s = run_checked("assay check", whole, root)
        schema_s = run_checked("check-jsonschema", schema_runs, root)
        one_s = statistics.median(run_checked("assay check (one spec)", [[*assay, "check", one]], root) for _ in range(ONE_SPEC_RUNS))
        heavy = heavy_imports(one, root)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    ratio = (count / assay_s) / (count / schema_s)
    passed = {"throughputRatio": ratio >= TARGET_RATIO, "oneSpecSeconds": one_s < TARGET_ONE_SPEC, "noHeavyImports": not heavy}
    results = {
        "specs": count,
        "policies": args.policies,
        "assay": {"seconds": assay_s, "specsPerSecond": count / assay_s, "processes": 1},
        "checkJsonschema": {"seconds": schema_s, "specsPerSecond": count / schema_s, "processes": len(schema_runs)},
        "throughputRatio": ratio,
        "oneSpec": {"medianSeconds": one_s, "runs": ONE_SPEC_RUNS, "heavyImports": heavy},
        "targets": {"throughputRatioMin": TARGET_RATIO, "oneSpecSecondsMax": TARGET_ONE_SPEC, "passed": passed},
        "machine": {"cpuCount": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\n{'tool':<20} {'specs':>7} {'wall s':>9} {'specs/s':>10}")
    print(f"{'assay check':<20} {count:>7} {assay_s:>9.3f} {count / assay_s:>10.1f}")
    print(f"{'check-jsonschema':<20} {count:>7} {schema_s:>9.3f} {count / schema_s:>10.1f}")
    if len(schema_runs) > 1:
        print(f"  (check-jsonschema ran in {len(schema_runs)} chunks to fit the argument limit; wall times summed)")
    print(f"\nthroughput ratio assay/check-jsonschema: {ratio:.2f}x  target >= {TARGET_RATIO:g}x  {MARK[passed['throughputRatio']]}")
    print(f"one-spec check, median of {ONE_SPEC_RUNS}: {one_s:.3f} s  target < {TARGET_ONE_SPEC:g} s  {MARK[passed['oneSpecSeconds']]}")
    print(f"heavy imports on the one-spec path ({', '.join(HEAVY)}): {', '.join(heavy) or 'none'}  {MARK[passed['noHeavyImports']]}")
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}")
    print(f"results written to {RESULTS.relative_to(ROOT)}")
    return 1 if args.strict and not all(passed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
