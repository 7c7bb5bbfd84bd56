"""The policy engine through the real CLI: findings at their lines, severities, waivers, compile errors."""

from __future__ import annotations

import json
from pathlib import Path

from policy_fixtures import MAX_TIER_BUNDLE, credit_spec
from support import RunAssay, write_repo


def findings(done) -> list[tuple[str, str, int, bool]]:  # type: ignore[no-untyped-def]
    report = json.loads(done.stdout)
    return [(d["code"], d["severity"], d["line"], d["waived"]) for d in report["diagnostics"]]


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def repo(tmp_path: Path, spec: str, bundle: str = MAX_TIER_BUNDLE, extra: dict[str, str] | None = None) -> Path:
    return write_repo(tmp_path, {"models/consumer-credit-pd/model.yaml": spec, "policies/test.yaml": bundle, **(extra or {})})


def test_clean_spec_passes(run_assay: RunAssay, tmp_path: Path) -> None:
    done = run_assay("check", "--format", "json", cwd=repo(tmp_path, credit_spec()))
    assert done.returncode == 0, done.stdout
    assert findings(done) == []


def test_for_each_finding_points_at_the_item(run_assay: RunAssay, tmp_path: Path) -> None:
    spec = credit_spec(secret=True)
    done = run_assay("check", "--format", "json", cwd=repo(tmp_path, spec))
    assert findings(done) == [("TST-02", "error", line_of(spec, "- name: secret"), False)]
    assert done.returncode == 1, "US-NY makes TST-02 a deny"
    report = json.loads(done.stdout)
    assert report["diagnostics"][0]["message"] == "feature 'secret' is secret"
    assert report["diagnostics"][0]["rule"]["references"] == ["test"]


def test_severity_follows_jurisdiction(run_assay: RunAssay, tmp_path: Path) -> None:
    spec = credit_spec(secret=True).replace("jurisdictions: [US, US-NY]", "jurisdictions: [US]")
    done = run_assay("check", "--format", "json", cwd=repo(tmp_path, spec))
    assert findings(done) == [("TST-02", "warning", line_of(spec, "- name: secret"), False)]
    assert done.returncode == 0


def test_parameters_are_overridden_in_assay_yaml(run_assay: RunAssay, tmp_path: Path) -> None:
    root = repo(tmp_path, credit_spec())
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\nparameters:\n  TST-01: {maxFeatures: 3}\n")
    done = run_assay("check", "--format", "json", cwd=root)
    report = json.loads(done.stdout)
    assert [d["message"] for d in report["diagnostics"]] == ["10 features, over the limit of 3"]


def test_unknown_parameter_override_is_reported(run_assay: RunAssay, tmp_path: Path) -> None:
    root = repo(tmp_path, credit_spec())
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\nparameters:\n  TST-01: {maxFeature: 3}\n")
    done = run_assay("check", "--format", "json", cwd=root)
    assert "P004" in [d["code"] for d in json.loads(done.stdout)["diagnostics"]]


def test_rule_that_does_not_compile_is_an_error_at_its_line(run_assay: RunAssay, tmp_path: Path) -> None:
    bundle = MAX_TIER_BUNDLE.replace("condition: item.name != 'secret'", "condition: item.name != ")
    done = run_assay("check", "--format", "json", cwd=repo(tmp_path, credit_spec(), bundle))
    report = json.loads(done.stdout)
    (problem,) = [d for d in report["diagnostics"] if d["code"] == "P001"]
    assert (problem["file"], problem["line"]) == ("policies/test.yaml", line_of(bundle, "condition: item.name != \n"))
    assert done.returncode == 1
    assert "TST-01" not in [d["code"] for d in report["diagnostics"]], "other rules still run and pass"


def test_rule_that_fails_at_run_time_is_a_finding_not_a_crash(run_assay: RunAssay, tmp_path: Path) -> None:
    bundle = MAX_TIER_BUNDLE.replace("condition: size(spec.data.features) <= params.maxFeatures", "condition: spec.nothing.here == 1")
    done = run_assay("check", "--format", "json", cwd=repo(tmp_path, credit_spec(), bundle))
    assert [d["code"] for d in json.loads(done.stdout)["diagnostics"]] == ["P003"]
    assert "Traceback" not in done.stderr


def test_duplicate_rule_ids(run_assay: RunAssay, tmp_path: Path) -> None:
    done = run_assay("check", "--format", "json", cwd=repo(tmp_path, credit_spec(), extra={"policies/again.yaml": MAX_TIER_BUNDLE}))
    codes = [d["code"] for d in json.loads(done.stdout)["diagnostics"]]
    assert codes.count("P005") == 2


def test_policy_bundle_schema_errors_point_into_the_bundle(run_assay: RunAssay, tmp_path: Path) -> None:
    bundle = MAX_TIER_BUNDLE.replace("    severity: warn\n", "    severity: maybe\n")
    done = run_assay("check", "--format", "json", cwd=repo(tmp_path, credit_spec(), bundle))
    (problem,) = json.loads(done.stdout)["diagnostics"]
    assert (problem["file"], problem["code"], problem["line"]) == ("policies/test.yaml", "S004", line_of(bundle, "severity: maybe"))


def test_a_message_that_reads_the_plan_digest_gets_the_real_one(run_assay: RunAssay, tmp_path: Path) -> None:
    """The digest is computed only for rules that read it: a template counts as reading it."""
    bundle = MAX_TIER_BUNDLE.replace(
        'message: "{{ spec.data.features | length }} features, over the limit of {{ params.maxFeatures }}"',
        'message: "plan {{ planDigest }}"',
    )
    root = repo(tmp_path, credit_spec(), bundle)
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\nparameters:\n  TST-01: {maxFeatures: 3}\n")
    done = run_assay("check", "--format", "json", cwd=root)
    (message,) = [d["message"] for d in json.loads(done.stdout)["diagnostics"]]
    plan = json.loads(run_assay("plan", "consumer-credit-pd", "--format", "json", cwd=root).stdout)
    assert len(message) == len("plan ") + 64
    assert message.removeprefix("plan ") in json.dumps(plan)
