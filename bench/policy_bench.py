"""Policy evaluation against schema validation, per spec, in one process.

    python bench/policy_bench.py [--specs N] [--large]

Generates N specs (as check_bench.py does), loads them once, then times, over the
same documents: (1) schema validation as `assay check` does it (jsonschema-rs
decides, jsonschema explains failures), (2) jsonschema alone, the usual Python
baseline, and (3) the full policy library (every bundle in policies/), reporting
rule evaluations per second and the per-spec cost of each. Target: policy
evaluation costs no more per spec than schema validation.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_bench import generate_repository

from assay.check import load_documents
from assay.cli.repository import load_judges
from assay.load.tree import WorktreeTree
from assay.policy import EvaluationContext, judge
from assay.schema import validate_document

REPO = Path(__file__).resolve().parents[1]


def timed(label: str, work: object) -> float:
    assert callable(work)
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    print(f"  {label:<44} {elapsed:8.3f} s")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--large", action="store_true", help="10,000 specs")
    args = parser.parse_args(argv)
    count = 10_000 if args.large else args.specs
    with tempfile.TemporaryDirectory(prefix="assay-policy-bench-") as folder:
        root = Path(folder)
        paths = generate_repository(root, count, with_policies=True)
        tree = WorktreeTree(root)
        judges, _, problems = load_judges(tree)
        assert not problems, problems
        documents, load_problems = load_documents(tree, paths, judges.config.limits)
        assert not load_problems, load_problems[:3]
        compiled = judges.schemas.validator("model")
        names = tuple(sorted(d.data["metadata"]["name"] for d in documents))
        context = EvaluationContext("2026-11-29", names)
        evaluations = 0

        def schema_fast() -> None:
            for document in documents:
                validate_document(document, compiled)

        def schema_jsonschema() -> None:
            for document in documents:
                list(compiled.detailed.iter_errors(document.data))

        def policies() -> None:
            nonlocal evaluations
            for document in documents:
                evaluations += len(judge(judges.policies.rules, document.data, context)) + len(judges.policies.rules)

        print(f"{count} specs, {len(judges.policies.rules)} rules")
        fast = timed("schema, as assay check (jsonschema-rs first)", schema_fast)
        slow = timed("schema, jsonschema alone", schema_jsonschema)
        policy = timed("full policy library", policies)
    per = {name: seconds / count * 1000 for name, seconds in (("schemaFast", fast), ("schemaJsonschema", slow), ("policy", policy))}
    print(f"\nper spec: schema {per['schemaFast']:.3f} ms, jsonschema {per['schemaJsonschema']:.3f} ms, policy {per['policy']:.3f} ms")
    print(f"rule evaluations: about {count * len(judges.policies.rules) / policy:,.0f} rule-spec judgements per second")
    ratio = policy / slow
    print(f"policy / jsonschema-validation cost per spec: {ratio:.2f}x  target <= 1.0  {'PASS' if ratio <= 1 else 'FAIL'}")
    print(f"policy / jsonschema-rs fast-path cost per spec: {policy / fast:.1f}x (the fast path only answers valid/invalid)")
    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "policy.json").write_text(
        json.dumps({"specs": count, "rules": len(judges.policies.rules), "msPerSpec": per}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
