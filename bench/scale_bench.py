"""assay at monorepo scale: cold, warm and one-change `assay check`, `assay plan --base`, against check-jsonschema.

Run: python bench/scale_bench.py [--sizes 1000,10000] [--keep DIR] [--frozen-source] [--strict]
Prints a table, and writes bench/results/scale.json and bench/results/scale.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_bench import SCHEMA, chunks, generate_repository, tool

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MARK = {True: "PASS", False: "FAIL"}
TARGET_RATIO, TARGET_WARM_SECONDS, TARGET_PEAK_MIB = 10.0, 0.5, 1024.0
WARM_RUNS, PLAN_RUNS = 5, 3
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


@dataclass
class Run:
    """One measured process: wall seconds, CPU seconds (with its children), peak memory, exit code."""

    wall: float
    cpu: float
    peak_mib: float  # the process and all its descendants together (proportional set size), sampled every SAMPLE_SECONDS
    largest_mib: float  # the largest single process (ru_maxrss)
    code: int
    stdout: str = ""


# Reading smaps_rollup walks a process's page tables: sampled every 20 ms, the sampler took a
# core's worth of time from a 2-core machine during a 30 s cold run (27.6 s unsampled, 34.6 s
# sampled). Memory of a check grows steadily, so a tenth of a second misses no real peak.
SAMPLE_SECONDS = 0.1


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and its descendants (Linux /proc); 0 elsewhere."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in _tree(self.pid)))
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as stream:
                    queue.extend(int(child) for child in stream.read().split())
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    """Proportional set size (shared pages split among the processes sharing them: forked workers share
    most of their parent's memory), else the resident set."""
    for path, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(path, encoding="ascii") as stream:
                for line in stream:
                    if line.startswith(field):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


def measure(command: list[str], cwd: Path, env: dict[str, str], allowed: tuple[int, ...] = (0,)) -> Run:
    """Run `command` once; stop the benchmark unless it exits with one of `allowed`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        sampler = TreeMemory(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    if process.returncode not in allowed:
        sys.exit(f"{' '.join(command[:4])} ... exited {process.returncode}:\n{(stdout + stderr)[-3000:]}")
    largest = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024 / 1024
    return Run(wall, usage.ru_utime + usage.ru_stime, max(sampler.peak_kib / 1024, largest), largest, process.returncode, stdout)


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda run: run.wall)
    middle = ordered[len(ordered) // 2]
    return Run(middle.wall, middle.cpu, max(r.peak_mib for r in runs), max(r.largest_mib for r in runs), middle.code, middle.stdout)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


def bump_version(spec: Path, patch: int) -> None:
    """A real change to one spec: its metadata.version (a new plan, the same findings)."""
    text = spec.read_text(encoding="utf-8")
    changed, count = re.subn(r"^(  version: )(\d+)\.(\d+)\.\d+$", rf"\g<1>\g<2>.\g<3>.{patch}", text, count=1, flags=re.MULTILINE)
    if count != 1:
        sys.exit(f"{spec}: no metadata.version line to change")
    spec.write_text(changed, encoding="utf-8")


def bench_size(count: int, folder: Path, env: dict[str, str], single: bool) -> dict[str, Any]:
    assay, checker = tool("assay", "assay", "-e ."), tool("check-jsonschema", "check_jsonschema", "check-jsonschema")
    print(f"\n== {count:,} specs in {folder}", flush=True)
    folder.mkdir(parents=True)
    paths = generate_repository(folder, count, with_policies=True)
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "generated specs")
    check = [*assay, "check", "--format", "json"]
    findings = (0, 1)  # assay may report policy findings; 2 and 3 (usage, crash) stop the benchmark
    rows: dict[str, Any] = {}

    print("check-jsonschema (schema only) ...", flush=True)
    fixed = [*checker, "--schemafile", str(SCHEMA)]
    groups = chunks(fixed, paths)
    schema_runs = [measure([*fixed, *group], folder, env) for group in groups]
    rows["checkJsonschema"] = Run(
        sum(r.wall for r in schema_runs),
        sum(r.cpu for r in schema_runs),
        max(r.peak_mib for r in schema_runs),
        max(r.largest_mib for r in schema_runs),
        0,
    )

    if single:
        print("assay check, cold, --jobs 1 ...", flush=True)
        rows["coldOneJob"] = measure([*check, "--no-cache", "--jobs", "1"], folder, env, findings)
    print("assay check, cold ...", flush=True)
    shutil.rmtree(folder / ".assay", ignore_errors=True)
    cold = rows["cold"] = measure(check, folder, env, findings)
    print("assay check, warm ...", flush=True)
    warm = [measure(check, folder, env, findings) for _ in range(WARM_RUNS)]
    if any(run.stdout != cold.stdout for run in warm):
        sys.exit("a warm run's output differs from the cold run's: the cache changed the result")
    rows["warm"] = median_run(warm)
    print("assay check, warm after one spec changed ...", flush=True)
    spec = folder / paths[len(paths) // 2]
    changed, plans = [], []
    for repetition in range(WARM_RUNS):
        bump_version(spec, 1000 + repetition)
        changed.append(measure(check, folder, env, findings))
        if repetition == 0:
            print("assay plan --base HEAD, one spec changed ...", flush=True)
            plans = [measure([*assay, "plan", "--base", "HEAD", "--format", "json"], folder, env) for _ in range(PLAN_RUNS)]
    if any(run.stdout != cold.stdout for run in changed):
        sys.exit("after a version bump (which changes no finding) the output differs from the cold run's")
    rows["warmOneChange"] = median_run(changed)
    rows["planBase"] = median_run(plans)
    result: dict[str, Any] = {"specs": count, "schemaChunks": len(groups), "assayExitCode": cold.code}
    for name, run in rows.items():
        entry = asdict(run)
        entry.pop("stdout")
        entry["specsPerSecond"] = count / run.wall
        result[name] = entry
    result["throughputRatio"] = result["cold"]["specsPerSecond"] / result["checkJsonschema"]["specsPerSecond"]
    return result


SCENARIOS = [
    ("checkJsonschema", "check-jsonschema", "schema only, one process"),
    ("coldOneJob", "assay check --jobs 1", "schema + policies, no cache"),
    ("cold", "assay check", "schema + policies, empty cache"),
    ("warm", "assay check", "nothing changed"),
    ("warmOneChange", "assay check", "one spec changed"),
    ("planBase", "assay plan --base HEAD", "one spec changed"),
]


def table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| tool | scenario | specs | wall | specs/s | CPU (user+sys) | peak memory (PSS, all processes) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for key, name, scenario in SCENARIOS:
            if key not in result:
                continue
            row = result[key]
            lines.append(
                f"| {name} | {scenario} | {result['specs']:,} | {row['wall']:.2f} s | {row['specsPerSecond']:,.0f} |"
                f" {row['cpu']:.2f} s | {row['peak_mib']:,.0f} MiB |"
            )
    return lines


def targets(largest: dict[str, Any], peak: float) -> dict[str, dict[str, Any]]:
    return {
        "coldThroughputRatio": {"value": largest["throughputRatio"], "target": f">= {TARGET_RATIO:g}x"},
        "warmOneChangeSeconds": {"value": largest["warmOneChange"]["wall"], "target": f"< {TARGET_WARM_SECONDS:g} s"},
        "peakMemoryMiB": {"value": peak, "target": f"< {TARGET_PEAK_MIB:g} MiB"},
    } | {
        "_passed": {
            "coldThroughputRatio": largest["throughputRatio"] >= TARGET_RATIO,
            "warmOneChangeSeconds": largest["warmOneChange"]["wall"] < TARGET_WARM_SECONDS,
            "peakMemoryMiB": peak < TARGET_PEAK_MIB,
        }
    }


def frozen_source(folder: Path) -> dict[str, str]:
    """Copy src/ and schemas/ to `folder` and run assay from there: edits to this checkout during the
    benchmark (the cache keys on assay's own files) then cannot turn a warm run cold."""
    shutil.copytree(ROOT / "src", folder / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    # Byte-compiled, as an installed package is (pip compiles on install): with PYTHONDONTWRITEBYTECODE
    # set, every timed run would otherwise compile assay's modules from source.
    compileall.compile_dir(folder / "src", quiet=1)
    return {"PYTHONPATH": str(folder / "src")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated repository sizes (default 1000,10000)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate the repositories under DIR (new or empty) and keep them")
    parser.add_argument("--frozen-source", action="store_true", help="run assay from a copy of src/ made at the start")
    parser.add_argument("--one-job", default="1000", help="sizes at which to also time a cold --jobs 1 run (default 1000)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size]
    single = {int(size) for size in args.one_job.split(",") if size}
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        sys.exit(f"--keep {args.keep}: folder is not empty")
    base = args.keep.resolve() if args.keep is not None else Path(tempfile.mkdtemp(prefix="assay-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    try:
        if args.frozen_source:
            env.update(frozen_source(base / "assay-source"))
        results = [bench_size(size, base / f"repo-{size}", env, size in single) for size in sizes]
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    largest = max(results, key=lambda r: r["specs"])
    peak = max(r[key]["peak_mib"] for r in results for key in ("cold", "warm", "warmOneChange", "coldOneJob") if key in r)
    goals = targets(largest, peak)
    passed = goals.pop("_passed")
    machine = {"cpuCount": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    command = "python bench/scale_bench.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = table(results)
    verdicts = [
        f"- cold check of {largest['specs']:,} specs (schema + policy library) vs check-jsonschema (schema only):"
        f" {largest['throughputRatio']:.1f}x, target >= {TARGET_RATIO:g}x: **{MARK[passed['coldThroughputRatio']]}**",
        f"- warm check after one spec changed, {largest['specs']:,} specs, process start included:"
        f" {largest['warmOneChange']['wall']:.2f} s, target < {TARGET_WARM_SECONDS:g} s: **{MARK[passed['warmOneChangeSeconds']]}**",
        f"- peak memory of any assay check (all its processes): {peak:,.0f} MiB, target < {TARGET_PEAK_MIB:g} MiB:"
        f" **{MARK[passed['peakMemoryMiB']]}**",
    ]
    markdown = [
        f"Measured with `{command.strip()}` on {machine['cpuCount']} CPUs, Python {machine['python']}, {machine['platform']}.",
        "",
        *lines,
        "",
        *verdicts,
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(
        json.dumps({"command": command.strip(), "results": results, "targets": goals, "passed": passed, "machine": machine}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    (RESULTS / "scale.md").write_text("\n".join(markdown), encoding="utf-8")
    print("\n" + "\n".join(markdown))
    print(f"results written to {(RESULTS / 'scale.json').relative_to(ROOT)} and {(RESULTS / 'scale.md').relative_to(ROOT)}")
    return 1 if args.strict and not all(passed.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
