"""`assay run MODEL` against the plain scikit-learn script, each in a fresh process, as a user runs them.

    python bench/run_fresh_bench.py [--repeats N] [--models NAME ...]

bench/run_bench.py times both sides inside one warmed-up process, which leaves out
what each pays once per process: the interpreter, imports (pandas, scikit-learn,
and on assay's side click, skops, whose import walks every scikit-learn
estimator, and Jinja2), compiling the plan and the model card template. This
script times the whole commands instead, each in a new process, alternating,
best of the repeats:

- plain: `python bench/plain_script.py ROOT SPEC` (the same script and evaluation
  as run_bench.py's plain side, the spec as assay compiled it, in a JSON file);
- assay: `assay run MODEL --quiet --format json` in a copy of the repository
  with no `.assay/` (so every step runs and every artifact is stored); its
  runner time is the process's wall time less the fairness and explain steps'
  seconds, as in run_bench.py.

Both sides run with one OpenMP/BLAS thread (OMP_NUM_THREADS and friends).
Results go to bench/results/run-fresh.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import MODELS, REPO, SEPARATE, TARGET, compile_plan, copy_repository  # a sibling script in bench/

THREADS = dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")
ASSAY = [sys.executable, "-m", "assay"]


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **THREADS}, check=False)
    return time.perf_counter() - started, done


def measure(root: Path, model: str, repeats: int) -> dict[str, Any]:
    plan = compile_plan(root, model)
    spec_file = root / "plain-spec.json"
    spec_file.write_text(json.dumps(plan.data["spec"]))
    plain_command = [sys.executable, str(REPO / "bench" / "plain_script.py"), str(root), str(spec_file)]
    assay_command = [*ASSAY, "run", model, "--quiet", "--format", "json"]
    plain, whole, runner = [], [], []
    for _ in range(repeats):
        seconds, done = timed(plain_command, root)
        assert done.returncode == 0, done.stderr
        plain.append(seconds)
        shutil.rmtree(root / ".assay", ignore_errors=True)
        seconds, done = timed(assay_command, root)
        assert done.returncode in (0, 1), done.stderr  # 1: a gate or fairness verdict failed, the run still finished
        (summary,) = json.loads(done.stdout)
        assert summary["failure"] is None, summary["failure"]
        separate = sum(step["seconds"] for step in summary["steps"] if step["step"] in SEPARATE)
        whole.append(seconds)
        runner.append(seconds - separate)
    return {
        "model": model,
        "repeats": repeats,
        "plainSeconds": min(plain),
        "assayWallSeconds": min(whole),
        "runnerSeconds": min(runner),
        "ratios": {"runner": min(runner) / min(plain), "whole": min(whole) / min(plain)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each side, alternating (best reported); default 3")
    parser.add_argument("--models", nargs="*", default=list(MODELS), help="example models to time (default: all four)")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="assay-run-fresh-") as folder:
        for model in args.models:
            (Path(folder) / model).mkdir()
            results.append(measure(copy_repository(Path(folder) / model, model), model, args.repeats))
            print(f"timed {model}", file=sys.stderr)
    print(f"{'model':<24} {'plain s':>8} {'runner s':>8} {'x':>5} {'whole s':>8} {'x':>5}")
    for r in results:
        print(
            f"{r['model']:<24} {r['plainSeconds']:8.2f} {r['runnerSeconds']:8.2f} {r['ratios']['runner']:5.2f} "
            f"{r['assayWallSeconds']:8.2f} {r['ratios']['whole']:5.2f}"
        )
    print("\nEach side a fresh process (interpreter, imports and all), best of the repeats; runner = assay's wall time less")
    print(f"fairness and explain; whole = all of `assay run`. run_bench.py's in-process target is {TARGET}x.")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    (out / "run-fresh.json").write_text(json.dumps({"machine": machine, "results": results}, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
