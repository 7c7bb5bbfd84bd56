"""`assay verify` over many records: records per second, against the target of 1,000.

    python bench/verify_bench.py [--records N]

Builds a repository with N signed records (default 10,000) spread over 100 models:
for each model, test-result records whose subjects are published reports (so every
record is signature-checked, trust-checked, chain-checked and re-hashed) with an
approval every tenth record. Then times one `assay verify` process over all of it,
and, as the baseline in the same script, the bare cost of verifying the same
envelopes with securesystemslib alone (no chain, trust or digest checks).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from assay.evidence import approval_statement, envelope_file_bytes, generate_keypair, load_signer, sign_statement, test_result_statement
from assay.evidence.chain import with_previous

MODELS = 100
REPO = Path(__file__).resolve().parents[1]


def build(root: Path, count: int) -> tuple[list[Path], dict[str, str]]:
    now = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    runner = generate_keypair("runner", "bot@bank.com", not_before=now, not_after=now + datetime.timedelta(days=365))
    validator = generate_keypair("validator", "val@bank.com", not_before=now, not_after=now + datetime.timedelta(days=365))
    (root / "keys").mkdir(parents=True)
    trust = {"apiVersion": "assay/v1", "kind": "TrustRoot", "keys": [runner.trust_entry, validator.trust_entry]}
    (root / "keys" / "trust.yaml").write_text(yaml.safe_dump(trust, sort_keys=False))
    signers = {
        role: load_signer(f"env:{role.upper()}", {role.upper(): key.private_pem.decode()})
        for role, key in (("runner", runner), ("validator", validator))
    }
    files = []
    per_model = count // MODELS
    for m in range(MODELS):
        model = f"model-{m:03d}"
        previous = None
        for i in range(per_model):
            digest = hashlib.sha256(f"{model}-{i}".encode()).hexdigest()
            issued = now + datetime.timedelta(minutes=i)
            if i % 10 == 9:
                statement = approval_statement(
                    model=model, plan_digest=digest, environment="production", approver="val@bank.com", issued_at=issued
                )
                kind, signer = "approval-production", signers["validator"]
            else:
                report = json.dumps({"run": i, "auc": 0.7}).encode()
                folder = root / "evidence" / model / "runs" / digest / "reports"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "metrics.json").write_bytes(report)
                subjects = {"reports/metrics.json": hashlib.sha256(report).hexdigest()}
                statement = test_result_statement(
                    model=model, subjects=subjects, plan_digest=digest, result="PASSED", passed_tests=["gate:auc:test>=0.6"],
                    failed_tests=[], warned=[], configuration=[], issued_at=issued,
                )  # fmt: skip
                kind, signer = "tests", signers["runner"]
            content = envelope_file_bytes(sign_statement(with_previous(statement, previous), signer))
            path = root / "evidence" / model / "records" / f"{i + 1:04d}-{kind}.dsse.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            files.append(path)
            previous = {"path": path.relative_to(root).as_posix(), "sha256": hashlib.sha256(content).hexdigest()}
    return files, {key.trust_entry["keyid"]: key.trust_entry["public"] for key in (runner, validator)}


def bare_securesystemslib(files: list[Path], keys: dict[str, str]) -> float:
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    public = [SSlibKey(keyid, "ed25519", "ed25519", {"public": value}) for keyid, value in keys.items()]
    started = time.perf_counter()
    for path in files:
        Envelope.from_dict(json.loads(path.read_bytes())).verify(public, 1)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="assay-verify-bench-") as folder:
        root = Path(folder)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        print(f"signing {args.records} records over {MODELS} models ...")
        files, keys = build(root, args.records)
        started = time.perf_counter()
        command = [sys.executable, "-m", "assay", "verify", "--format", "json"]
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        report = json.loads(done.stdout)
        verified = sum(len(model["records"]) for model in report.values())
        bare = bare_securesystemslib(files, keys)
    rate = len(files) / wall
    print(f"\nrecords: {len(files)}, verified: {verified}, exit {done.returncode}")
    verdict = "PASS" if rate >= 1000 else "FAIL"
    print(f"assay verify (one process, all checks):   {wall:7.2f} s  {rate:8.0f} records/s  target >= 1000  {verdict}")
    print(f"securesystemslib signatures only (baseline): {bare:7.2f} s  {len(files) / bare:8.0f} records/s")
    print(f"ratio assay verify / bare signature checks: {wall / bare:.2f}x")
    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    figures = {"records": len(files), "seconds": wall, "recordsPerSecond": rate, "bareSeconds": bare}
    (results / "verify.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if done.returncode == 0 and verified == len(files) else 1


if __name__ == "__main__":
    raise SystemExit(main())
