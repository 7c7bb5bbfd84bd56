"""`assay audit` of one model and `assay inventory` on a long history: targets under 5 s each.

    python bench/audit_bench.py [--commits N] [--models M] [--repeats R] [--keep DIR] [--frozen-source] [--strict]

Generates a repository with N commits (default 10,000) across M models (default
100) through one `git fast-import` stream: the shipped policies and a trust root,
then for each commit one model's event, drawn with a fixed seed: a documentation
change to its spec (about half), a material change (estimator parameter and
version), a run (signed provenance and test records over published metrics and
fairness reports, with the plan compiled exactly as assay compiles it), an
approval, or a promotion (a signed record and its manifest). Every record is
really signed and chained, so the audit verifies all of them and recomputes every
plan. Then times one `assay audit MODEL --format json` process, and
`assay inventory --format json` cold (`--no-cache`: every chain verified) and warm
(what .assay/cache/ remembers of unchanged chains reused): each the fastest of R
runs, default 3, with its CPU seconds and the machine's load beside. Writes
bench/results/audit.json. With --keep DIR naming a repository this script built
earlier, the timings are taken again without rebuilding it.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from assay import __version__
from assay.cli.repository import load_judges
from assay.evidence import approval_statement, envelope_file_bytes, generate_keypair, load_signer, promotion_statement, sign_statement
from assay.evidence.chain import with_previous
from assay.evidence.run_records import run_records
from assay.load import SourceFile, parse_document
from assay.load.tree import WorktreeTree
from assay.plan import PlanContext, compile_plan

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "models" / "marketing-propensity" / "model.yaml"
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
EVENTS = (("documentation", 50), ("material", 6), ("run", 30), ("approval", 7), ("promotion", 7))


class Generator:
    """The repository's files as they stand, and the fast-import stream that records each commit."""

    def __init__(self, root: Path, models: int) -> None:
        self.root = root
        self.files: dict[str, bytes] = {}
        self.stream: list[bytes] = []
        self.mark = 0
        self.models = [f"model-{m:03d}" for m in range(models)]
        self.revision = dict.fromkeys(self.models, 0)
        self.version = dict.fromkeys(self.models, (1, 0))
        self.previous: dict[str, dict[str, str] | None] = dict.fromkeys(self.models, None)
        self.sequence = dict.fromkeys(self.models, 0)
        self.plans: dict[str, tuple[dict[str, Any], str]] = {}
        now = START - datetime.timedelta(days=30)
        keys = [generate_keypair(r, p, not_before=now, not_after=now + datetime.timedelta(days=3650)) for r, p in _PEOPLE]
        self.signers = {key.trust_entry["role"]: load_signer("env:K", {"K": key.private_pem.decode()}) for key in keys}
        trust = {"apiVersion": "assay/v1", "kind": "TrustRoot", "keys": [key.trust_entry for key in keys]}
        self.files["keys/trust.yaml"] = yaml.safe_dump(trust, sort_keys=False).encode()
        self.files["assay.yaml"] = (REPO / "assay.yaml").read_bytes()
        for path in sorted((REPO / "policies").glob("*.yaml")):
            self.files[f"policies/{path.name}"] = path.read_bytes()
        for model in self.models:
            self.files[self.spec_path(model)] = self.spec(model)

    @staticmethod
    def spec_path(model: str) -> str:
        return f"models/{model}/model.yaml"

    def spec(self, model: str) -> bytes:
        major, minor = self.version[model]
        text = (
            TEMPLATE.read_text()
            .replace("name: marketing-propensity", f"name: {model}")
            .replace("version: 0.4.0", f"version: {major}.{minor}.0")
        )
        text = text.replace("models/marketing-propensity/", f"models/{model}/")
        text = text.replace("    Scores prescreened prospects", f"    Revision {self.revision[model]}. Scores prescreened prospects", 1)
        return text.replace("      C: 1.0", f"      C: {1.0 / (1 + minor):.4f}").encode()

    def commit(self, when: datetime.datetime, author: str, message: str, changed: list[str]) -> None:
        self.mark += 1
        stamp = f"{int(when.timestamp())} +0000"
        name = author.split("@", maxsplit=1)[0].replace(".", " ").title()
        lines = [
            f"commit refs/heads/main\nmark :{self.mark}\nauthor {name} <{author}> {stamp}\ncommitter {name} <{author}> {stamp}\n".encode()
        ]
        lines.append(f"data {len(message.encode())}\n{message}\n".encode())
        for path in changed:
            content = self.files[path]
            lines.append(f"M 100644 inline {path}\ndata {len(content)}\n".encode() + content + b"\n")
        self.stream.append(b"".join(lines))

    def plan(self, model: str, policy_digest: str) -> tuple[dict[str, Any], str]:
        source = SourceFile(self.spec_path(model), self.files[self.spec_path(model)])
        if source.blob_id not in self.plans:
            document, _ = parse_document(source)
            assert document is not None
            context = PlanContext(source.path, source.blob_id, source.sha256, policy_digest, __version__)
            compiled = compile_plan(document.data, context)
            self.plans[source.blob_id] = (compiled.data, compiled.digest)
        return self.plans[source.blob_id]

    def append(self, model: str, kind: str, statement: dict[str, Any], role: str) -> str:
        content = envelope_file_bytes(sign_statement(with_previous(statement, self.previous[model]), self.signers[role]))
        self.sequence[model] += 1
        path = f"evidence/{model}/records/{self.sequence[model]:04d}-{kind}.dsse.json"
        self.files[path] = content
        self.previous[model] = {"path": path, "sha256": hashlib.sha256(content).hexdigest()}
        return path

    def event(self, model: str, event: str, when: datetime.datetime, policy_digest: str, chance: random.Random) -> None:
        if event in ("documentation", "material"):
            self.revision[model] += 1
            if event == "material":
                self.version[model] = (self.version[model][0], self.version[model][1] + 1)
            self.files[self.spec_path(model)] = self.spec(model)
            author = "ben.alvarez@examplebank.com" if event == "material" else "dana.writer@examplebank.com"
            self.commit(when, author, f"{model}: {event} change", [self.spec_path(model)])
            return
        plan, digest = self.plan(model, policy_digest)
        if event == "run":
            changed = self._run(model, plan, digest, when)
        elif event == "approval":
            statement = approval_statement(
                model=model, plan_digest=digest, environment="production", approver=_PEOPLE[1][1], issued_at=when
            )
            changed = [self.append(model, "approval-production", statement, "validator")]
        else:
            # One manifest per plan: assay renders fixed names, which a later promotion rewrites, and verify then
            # fails the earlier promotion record; distinct names keep this history verifiable end to end.
            manifest = f"deploy/production/{model}/promotion-{digest[:12]}.json"
            self.files[manifest] = json.dumps({"plan": digest, "environment": "production"}).encode()
            manifests = {manifest: hashlib.sha256(self.files[manifest]).hexdigest()}
            statement = promotion_statement(
                model=model, plan_digest=digest, environment="production", manifests=manifests, evidence={}, issued_at=when
            )
            changed = [manifest, self.append(model, "promotion-production", statement, "runner")]
        self.commit(when, "bot@examplebank.com", f"evidence({model}): {event} plan {digest[:16]}", changed)

    def _run(self, model: str, plan: dict[str, Any], digest: str, when: datetime.datetime) -> list[str]:
        # A plan's reports are the same bytes on every run of it (the runner is deterministic): seeded by the digest.
        chance = random.Random(digest)
        auc = round(0.70 + chance.random() * 0.06, 6)
        gates = [{"metric": "auc", "dataset": "test", "min": 0.68, "max": None, "value": auc, "passed": auc >= 0.68, "reason": None}]
        metrics = {"datasets": {"test": {"auc": auc, "ks": round(auc - 0.37, 6)}}, "gates": gates, "passed": True}
        group = {
            "group": "black",
            "status": "tested",
            "metrics": [{"metric": "adverseImpactRatio", "value": round(0.85 + chance.random() * 0.2, 6), "verdict": "pass"}],
        }
        fairness = {"attributes": [{"name": "race_ethnicity", "reference": {"group": "white"}, "groups": [group]}], "verdict": "pass"}
        folder = f"evidence/{model}/runs/{digest}"
        reports = {"reports/metrics.json": metrics, "reports/fairness.json": fairness}
        outputs = {}
        for name, report in reports.items():
            self.files[f"{folder}/{name}"] = json.dumps(report, indent=2, sort_keys=True).encode()
            outputs[name] = hashlib.sha256(self.files[f"{folder}/{name}"]).hexdigest()
        pending = run_records(
            plan=plan, plan_digest=digest, outputs=outputs, metrics=metrics, fairness=fairness, previous=None, issued_at=when
        )
        paths = [self.append(model, record.kind, record.statement, "runner") for record in pending]
        return [*(f"{folder}/{name}" for name in reports), *paths]


_PEOPLE = (("runner", "bot@examplebank.com"), ("validator", "grace.whitman@examplebank.com"))


def generate(root: Path, commits: int, models: int) -> Generator:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    generator = Generator(root, models)
    (root / "policies").mkdir()
    for path in ("assay.yaml", "keys/trust.yaml", *(p for p in generator.files if p.startswith("policies/"))):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(generator.files[path])
    policy_digest = load_judges(WorktreeTree(root))[0].policies.digest
    generator.commit(START, "ben.alvarez@examplebank.com", "models, policies and trust root", sorted(generator.files))
    chance = random.Random(20261129)
    names, weights = zip(*EVENTS, strict=True)
    for index in range(1, commits):
        model = generator.models[chance.randrange(models)]
        event = chance.choices(names, weights)[0]
        generator.event(model, event, START + datetime.timedelta(hours=index), policy_digest, chance)
    stream = b"".join(generator.stream) + b"done\n"
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=root, input=stream, check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=root, check=True)
    return generator


Timing = tuple[float, float, float, subprocess.CompletedProcess[str]]  # wall s, CPU s, load average before, the process


def timed(root: Path, *args: str, repeats: int = 1, env: dict[str, str] | None = None) -> Timing:
    """The fastest of `repeats` runs of one assay process: its wall and CPU seconds (user + system, with its workers)."""
    runs = [_timed_once(root, args, env) for _ in range(repeats)]
    return min(runs, key=lambda run: run[0])


def _timed_once(root: Path, args: tuple[str, ...], env: dict[str, str] | None) -> Timing:
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "assay", *args], cwd=root, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), load, done


def existing_history(root: Path) -> tuple[str, int]:
    """The model with the most records in a repository built earlier, and its record count."""
    counts = {folder.name: len(list((folder / "records").glob("*.dsse.json"))) for folder in (root / "evidence").iterdir()}
    model = max(sorted(counts), key=lambda name: counts[name])
    return model, counts[model]


def frozen_source(folder: Path) -> dict[str, str]:
    """Run assay from a copy of src/ and schemas/: the cache keys on assay's own files, so edits to this checkout
    while the benchmark runs would otherwise turn warm runs cold."""
    shutil.copytree(REPO / "src", folder / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "schemas", folder / "schemas")
    return {**os.environ, "PYTHONPATH": str(folder / "src")}


def size_of(root: Path) -> dict[str, Any]:
    count = subprocess.run(["git", "count-objects", "-v"], cwd=root, capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(": ") for line in count.strip().splitlines())
    commits = int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout)
    files = len(subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.splitlines())
    kib = int(fields.get("size", 0)) + int(fields.get("size-pack", 0))
    return {"commits": commits, "files": files, "gitKiB": kib}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3, help="Time each command this many times and keep the fastest.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a target is missed or a command fails.")
    parser.add_argument("--keep", type=Path, help="Build the repository in this folder and keep it; if it holds one already, reuse it.")
    parser.add_argument("--frozen-source", action="store_true", help="Run assay from a copy of src/ made at the start.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="assay-audit-bench-") as scratch:
        root = args.keep or Path(scratch) / "repo"
        env = frozen_source(Path(scratch) / "assay-source") if args.frozen_source else None
        started = time.perf_counter()
        if (root / ".git").exists():
            print(f"reusing the repository in {root}")
            model, records = existing_history(root)
        else:
            print(f"generating {args.commits:,} commits across {args.models} models ...")
            generator = generate(root, args.commits, args.models)
            model = max(generator.models, key=lambda m: generator.sequence[m])
            records = generator.sequence[model]
        built = time.perf_counter() - started
        size = size_of(root)
        audit = timed(root, "audit", model, "--format", "json", repeats=args.repeats, env=env)
        cold = timed(root, "inventory", "--format", "json", "--no-cache", repeats=args.repeats, env=env)
        timed(root, "inventory", "--format", "json", env=env)  # fills .assay/cache/ when it holds nothing for this code
        warm = timed(root, "inventory", "--format", "json", repeats=args.repeats, env=env)
    return report(args, size, built, model, records, audit, cold, warm)


def report(args: argparse.Namespace, size: dict[str, Any], built: float, model: str, records: int, *timings: Timing) -> int:
    audit, cold, warm = timings
    entries = len(json.loads(audit[3].stdout)["entries"]) if audit[3].stdout else 0
    rows = [len(json.loads(run[3].stdout)["models"]) if run[3].returncode == 0 else 0 for run in (cold, warm)]
    print(f"repository: {size['commits']:,} commits, {size['files']:,} files, {size['gitKiB'] / 1024:.1f} MiB of git objects")
    print(f"            (built or found in {built:.1f} s); {os.cpu_count()} processors")
    lines = [
        (f"assay audit {model}", audit, f"{entries} events, {records} records"),
        ("assay inventory, cold", cold, f"{rows[0]} models, every chain verified"),
        ("assay inventory, warm", warm, f"{rows[1]} models, chains remembered"),
    ]
    for label, (wall, cpu, load, done), what in lines:
        verdict = "PASS" if wall < 5 and done.returncode == 0 else "FAIL"
        print(f"{label:<28} {wall:6.2f} s  cpu {cpu:5.2f} s  load {load:4.1f}  ({what}, exit {done.returncode})  target < 5 s  {verdict}")
    print("load: the 1-minute load average when the fastest run started; other work slows every figure")
    results = {
        "repository": size,
        "model": model,
        "processors": os.cpu_count(),
        "repeats": args.repeats,
        "auditRecords": records,
        "auditEvents": entries,
        **{
            name: {"wallSeconds": round(t[0], 3), "cpuSeconds": round(t[1], 3), "loadAverage": round(t[2], 2), "exit": t[3].returncode}
            for name, t in (("audit", audit), ("inventoryCold", cold), ("inventoryWarm", warm))
        },
        "buildSeconds": round(built, 1),
    }
    (REPO / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (REPO / "bench" / "results" / "audit.json").write_text(json.dumps(results, indent=2) + "\n")
    ok = all(t[0] < 5 and t[3].returncode == 0 for t in (audit, cold, warm))
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
