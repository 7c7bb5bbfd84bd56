"""`assay run` against a plain scikit-learn script doing the same fit and evaluation, in one process.

    python bench/run_bench.py [--repeats N] [--rows N] [--models NAME ...] [--no-large] [--threads N] [--strict]

For each example model, and for a generated dataset shaped like the credit example
(100,000 development rows and 25,000 out-of-time rows by default), times:

- plain: a scikit-learn script (bench/plain_script.py): pandas.read_csv of both
  files, the spec's split (train_test_split, or by time), the pipeline assay
  builds (assay.run.estimators.build_pipeline, so preprocessing and estimator are
  the same), fit, predict_proba on the test and out-of-time rows, and on each the
  evaluation the runner does (the issue's list: AUC, Gini, KS, Brier, log loss,
  calibration by bin, rank ordering by decile, precision and recall at the
  decision threshold; plus average precision and accuracy) and the spec's gates,
  in the usual scikit-learn and pandas idiom. Its scalar metrics are checked
  against the runner's. A lighter plain script measuring only AUC, Brier and log
  loss is timed too, and the runner's ratio over it reported beside, so the
  choice of baseline is visible;
- assay: assay.run.runner.run_plan on the compiled plan into a fresh run folder
  and store, with each step's time from its step record.

Both sides use the same thread limit (--threads, default 1: OpenMP estimators such
as HistGradientBoosting vary tenfold on a busy machine otherwise). The two sides
alternate, after one untimed warm-up of each (imports, page cache, and on
assay's side the model card template's compilation, once per process like an
import), and the best of the repeats is reported (medians are kept in the results file).
The runner's time is its wall time less the fairness and explain steps, which are
reported on their own (the fairness bootstrap and the explanations have no
counterpart in the plain script). Target: at most 1.3x the plain script. Results
go to bench/results/run.json.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from assay.cli.plan_sources import load_plan_inputs, model_of, plan_models, spec_paths
from assay.cli.repository import open_worktree
from assay.plan import CompiledPlan
from assay.run.runner import run_plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plain_script import plain_script  # a sibling script in bench/, not a package

REPO = Path(__file__).resolve().parents[1]
MODELS = ("consumer-credit-pd", "card-fraud-detection", "aml-alert-scoring", "marketing-propensity")
LARGE = "consumer-credit-pd"
TARGET = 1.3
CORE = ("load", "validate-data", "split", "fit", "evaluate")
SEPARATE = ("fairness", "explain")


def copy_repository(root: Path, model: str) -> Path:
    shutil.copy(REPO / "assay.yaml", root / "assay.yaml")
    shutil.copytree(REPO / "policies", root / "policies")
    shutil.copytree(REPO / "models" / model, root / "models" / model)
    return root


def generated_repository(root: Path, rows: int) -> Path:
    """A repository whose credit spec points at `rows` + rows/4 generated rows (the example data's own generator)."""
    import datetime as dt

    spec_file = importlib.util.spec_from_file_location("generate_example_data", REPO / "tools" / "generate_example_data.py")
    assert spec_file is not None and spec_file.loader is not None
    generator = importlib.util.module_from_spec(spec_file)
    sys.modules["generate_example_data"] = generator
    spec_file.loader.exec_module(generator)
    shutil.copy(REPO / "assay.yaml", root / "assay.yaml")
    shutil.copytree(REPO / "policies", root / "policies")
    folder = root / "models" / LARGE
    (folder / "data").mkdir(parents=True)
    spec = yaml.safe_load((REPO / "models" / LARGE / "model.yaml").read_text())
    windows = {
        "train": (7001, rows, dt.date(2021, 1, 1), dt.date(2023, 12, 31), False),
        "outOfTime": (7002, max(rows // 4, 1000), dt.date(2024, 1, 1), dt.date(2024, 6, 30), True),
    }
    for role, (seed, count, start, end, oot) in windows.items():
        content = generator.render(generator.CREDIT_COLUMNS, generator.credit_rows(generator.Rng(seed), count, start, end, oot=oot))
        name = f"data/{'train' if role == 'train' else 'oot'}.csv"
        (folder / name).write_bytes(content)
        spec["data"][role].update(
            {"uri": f"models/{LARGE}/{name}", "sha256": hashlib.sha256(content).hexdigest(), "rows": content.count(b"\n") - 1}
        )
    (folder / "model.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def compile_plan(root: Path, model: str) -> CompiledPlan:
    worktree = open_worktree(root)
    inputs, config_problems = load_plan_inputs(worktree)  # as `assay run` compiles it
    paths = {model_of(path): path for path in spec_paths(worktree, inputs.config)}
    planned, problems = plan_models(worktree, [paths[model]], inputs)
    blocking = [d for d in [*config_problems, *problems] if d.blocking]
    assert not blocking, blocking
    return planned[0].plan


def assay_run(root: Path, plan: CompiledPlan, folder: Path) -> dict[str, Any]:
    shutil.rmtree(root / ".assay", ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    started, cpu = time.perf_counter(), time.process_time()
    result = run_plan(root, plan, folder=folder)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.failure is None, result.failure
    steps = {step["step"]: float(step["seconds"]) for step in result.steps}
    step_cpu = {step["step"]: float(step["cpuSeconds"]) for step in result.steps}
    metrics = json.loads((folder / "reports" / "metrics.json").read_text())["datasets"]
    return {"wall": wall, "cpu": cpu, "steps": steps, "stepCpu": step_cpu, "metrics": metrics}


def measure(label: str, root: Path, model: str, repeats: int) -> dict[str, Any]:
    plan = compile_plan(root, model)
    spec = dict(plan.data["spec"])
    rows = int(spec["data"]["train"].get("rows", 0)), int(spec["data"]["outOfTime"].get("rows", 0))
    plain_times, plain_cpu, minimal_times, assay_runs = [], [], [], []
    plain_script(root, spec)  # warm-up: imports, page cache
    plain_script(root, spec, full=False)
    assay_run(root, plan, root / "warm-up")
    for repeat in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        plain_metrics = plain_script(root, spec)
        plain_times.append(time.perf_counter() - started)
        plain_cpu.append(time.process_time() - cpu)
        started = time.perf_counter()
        plain_script(root, spec, full=False)
        minimal_times.append(time.perf_counter() - started)
        assay_runs.append(assay_run(root, plan, root / f"run-{repeat}"))
    # Best of the repeats on each side: on a shared machine the minimum is the run least disturbed by others.
    steps = {name: min(run["steps"][name] for run in assay_runs) for name in assay_runs[0]["steps"]}
    plain, minimal = min(plain_times), min(minimal_times)
    wall = min(run["wall"] for run in assay_runs)
    separate = {name: steps.get(name, 0.0) for name in SEPARATE}
    runner = min(run["wall"] - sum(run["steps"].get(name, 0.0) for name in SEPARATE) for run in assay_runs)
    core = sum(steps[name] for name in CORE)
    with_baseline_package = core + steps.get("baseline", 0.0) + steps.get("package", 0.0)
    # CPU seconds (process time: every thread of the process), best of the repeats like the wall times.
    cpu = {
        "plain": min(plain_cpu),
        "core": min(sum(run["stepCpu"][name] for name in CORE) for run in assay_runs),
        "runner": min(run["cpu"] - sum(run["stepCpu"].get(name, 0.0) for name in SEPARATE) for run in assay_runs),
        "whole": min(run["cpu"] for run in assay_runs),
    }
    reported = assay_runs[-1]["metrics"]
    agreement = {
        key: {"plain": value, "assay": reported[key.split(".")[0]][key.split(".")[1]]} for key, value in sorted(plain_metrics.items())
    }
    return {
        "label": label,
        "model": model,
        "estimator": spec["training"]["estimator"]["class"],
        "rows": {"train": rows[0], "outOfTime": rows[1]},
        "repeats": repeats,
        "plainSeconds": plain,
        "plainSecondsMedian": statistics.median(plain_times),
        "plainMinimalSeconds": minimal,
        "runnerSecondsMedian": statistics.median(run["wall"] - sum(run["steps"].get(n, 0.0) for n in SEPARATE) for run in assay_runs),
        "assayWallSeconds": wall,
        "stepSeconds": steps,
        "coreSeconds": core,
        "coreBaselinePackageSeconds": with_baseline_package,
        "runnerSeconds": runner,
        "separateSeconds": separate,
        "cpuSeconds": cpu,
        "wholeRatio": wall / plain,
        "ratios": {
            "core": core / plain,
            "coreBaselinePackage": with_baseline_package / plain,
            "runner": runner / plain,
            "runnerOverMinimal": runner / minimal,
            "whole": wall / plain,
            "coreCpu": cpu["core"] / cpu["plain"],
            "runnerCpu": cpu["runner"] / cpu["plain"],
        },
        "passed": runner / plain <= TARGET,
        "metrics": agreement,
        "metricsAgree": all(_agree(pair["plain"], pair["assay"]) for pair in agreement.values()),
    }


def _agree(plain: float, published: float | None) -> bool:
    """sklearn's value rounded as assay publishes it (6 significant digits); NaN where assay says undefined (None)."""
    if math.isnan(plain):
        return published is None
    return float(f"{plain:.6g}") + 0.0 == published


def print_table(results: list[dict[str, Any]]) -> None:
    header = (
        f"{'dataset':<32} {'rows':>14} {'plain s':>8} {'core s':>7} {'x':>5} {'+bl+pkg s':>9} {'x':>5} "
        f"{'runner s':>8} {'x':>5} {'3-metric s':>10} {'x':>5} {'fairness s':>10} {'explain s':>9} {'whole x':>7} "
        f"{'core cpu x':>10} {'runner cpu x':>12}  target"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        rows = f"{r['rows']['train']:,}+{r['rows']['outOfTime']:,}"
        ratios = r["ratios"]
        print(
            f"{r['label']:<32} {rows:>14} {r['plainSeconds']:8.3f} {r['coreSeconds']:7.3f} {ratios['core']:5.2f} "
            f"{r['coreBaselinePackageSeconds']:9.3f} {ratios['coreBaselinePackage']:5.2f} {r['runnerSeconds']:8.3f} "
            f"{ratios['runner']:5.2f} {r['plainMinimalSeconds']:10.3f} {ratios['runnerOverMinimal']:5.2f} "
            f"{r['separateSeconds']['fairness']:10.3f} {r['separateSeconds']['explain']:9.3f} "
            f"{ratios['whole']:7.2f} {ratios['coreCpu']:10.2f} {ratios['runnerCpu']:12.2f}  "
            f"{'PASS' if r['passed'] else 'FAIL'} (<= {TARGET}x)"
        )
    print()
    print("core = load+validate-data+split+fit+evaluate step times; +bl+pkg adds baseline and package;")
    print("runner = run_plan wall time less fairness and explain (records, hashing and the store included); x = over plain.")
    print("plain = the same fit and the same evaluation (every metric, calibration and decile table, gates) in scikit-learn;")
    print("3-metric = a lighter plain script measuring only AUC, Brier and log loss, and the runner's ratio over it.")
    print("whole x = the whole run_plan (fairness and explain included) over plain; cpu x = the same ratios in CPU seconds")
    print("(process time of every thread: less disturbed by other work on the machine than wall time).")
    print("Times are the best of the repeats on each side (medians are in bench/results/run.json).")
    disagree = [r["label"] for r in results if not r["metricsAgree"]]
    print(
        "AUC, Gini, KS, Brier, log loss, average precision, precision, recall, accuracy on test and out-of-time: "
        + (f"DIFFER for {', '.join(disagree)}" if disagree else "the same on both sides")
    )
    print()
    print(f"{'dataset':<32} {'step':<14} {'best s':>9}")
    for r in results:
        for step, seconds in r["stepSeconds"].items():
            print(f"{r['label']:<32} {step:<14} {seconds:9.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each side, alternating (best reported); default 3")
    parser.add_argument("--rows", type=int, default=100_000, help="development rows of the generated dataset; default 100,000")
    parser.add_argument("--models", nargs="*", default=list(MODELS), help="example models to time (default: all four)")
    parser.add_argument("--no-large", action="store_true", help="skip the generated dataset")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="OpenMP/BLAS threads for both sides (default 1: steadier on a shared machine); 0 = library default",
    )
    args = parser.parse_args(argv)
    if args.threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads)
    results = []
    with tempfile.TemporaryDirectory(prefix="assay-run-bench-") as folder:
        for model in args.models:
            (Path(folder) / model).mkdir()
            root = copy_repository(Path(folder) / model, model)
            results.append(measure(model, root, model, args.repeats))
            print(f"timed {model}", file=sys.stderr)
        if not args.no_large:
            (Path(folder) / "large").mkdir()
            root = generated_repository(Path(folder) / "large", args.rows)
            results.append(measure(f"generated credit, {args.rows:,} rows", root, LARGE, args.repeats))
            print("timed the generated dataset", file=sys.stderr)
    print_table(results)
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpus": os.cpu_count(),
        "threads": args.threads or None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    document = {"target": TARGET, "machine": machine, "results": results}
    (out / "run.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    print(f"\nwritten to {out / 'run.json'}")
    return 1 if args.strict and not all(r["passed"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
