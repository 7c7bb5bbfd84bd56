"""A pull request cannot weaken the rules it is judged by: policies come from the trusted ref."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from policy_fixtures import MAX_TIER_BUNDLE, credit_spec
from support import RunAssay, write_repo


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def make_repository(root: Path) -> Path:
    write_repo(root, {"models/consumer-credit-pd/model.yaml": credit_spec(), "policies/test.yaml": MAX_TIER_BUNDLE})
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=Base", "-c", "user.email=base@example.com", "commit", "-q", "--allow-empty", "-m", "empty")
    git(root, "add", "-A")
    git(root, "-c", "user.name=Base", "-c", "user.email=base@example.com", "commit", "-q", "-m", "base")
    return root


def weaken_on_a_branch(root: Path) -> None:
    git(root, "checkout", "-q", "-b", "weaken")
    weakened = MAX_TIER_BUNDLE.replace("condition: item.name != 'secret'", "condition: size(spec.data.features) > 0")
    (root / "policies" / "test.yaml").write_text(weakened)
    leaky = root / "models" / "leaky" / "model.yaml"
    leaky.parent.mkdir(parents=True)
    leaky.write_text(credit_spec("leaky", secret=True))
    git(root, "add", "-A")
    git(root, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "weaken TST-02 and add a leaky model")


def test_weakened_rule_on_a_branch_still_denies(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    weaken_on_a_branch(root)

    judged_by_branch = run_assay("check", "--format", "json", cwd=root)
    assert judged_by_branch.returncode == 0, "the weakened rule lets the model through"

    judged_by_main = run_assay("check", "--format", "json", "--trusted-ref", "main", cwd=root)
    assert judged_by_main.returncode == 1
    report = json.loads(judged_by_main.stdout)
    assert [(d["file"], d["code"]) for d in report["diagnostics"]] == [("models/leaky/model.yaml", "TST-02")]
    assert report["trustedRef"] == "main"
    assert report["policyImpact"] == [
        {
            "model": "leaky",
            "file": "models/leaky/model.yaml",
            "before": "deny",
            "after": "pass",
            "newlyDeniedBy": [],
            "noLongerDeniedBy": ["TST-02"],
        }
    ]
    text = run_assay("check", "--trusted-ref", "main", cwd=root).stdout
    assert "models/leaky/model.yaml: deny -> pass (no longer denied by TST-02)" in text


def test_uncommitted_policy_edits_do_not_count_either(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    (root / "policies" / "test.yaml").write_text(MAX_TIER_BUNDLE.replace("default: 20", "default: 2"))
    done = run_assay("check", "--format", "json", "--trusted-ref", "HEAD", cwd=root)
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["policyImpact"][0]["newlyDeniedBy"] == ["TST-01"]


def test_same_policies_report_no_impact(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    done = run_assay("check", "--format", "json", "--trusted-ref", "main", cwd=root)
    assert done.returncode == 0
    assert "policyImpact" not in json.loads(done.stdout)


def test_unknown_ref_is_a_usage_error(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    for ref in ("no-such-branch", "--upload-pack=evil"):
        done = run_assay("check", f"--trusted-ref={ref}", cwd=root)
        assert done.returncode == 2
        assert "does not name a commit" in done.stderr or "is not a git ref" in done.stderr
        assert "Traceback" not in done.stderr


def test_trusted_config_and_schemas_come_from_the_ref(run_assay: RunAssay, tmp_path: Path) -> None:
    root = make_repository(tmp_path)
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\nparameters:\n  TST-01: {maxFeatures: 100}\n")
    (root / "policies" / "test.yaml").write_text(MAX_TIER_BUNDLE.replace("default: 20", "default: 2"))
    git(root, "add", "-A")
    git(root, "-c", "user.name=Base", "-c", "user.email=base@example.com", "commit", "-q", "-m", "loosen via config")
    git(root, "checkout", "-q", "-b", "pr", "HEAD~1")
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\nparameters:\n  TST-01: {maxFeatures: 100}\n")
    done = run_assay("check", "--format", "json", "--trusted-ref", "pr", cwd=root)
    assert done.returncode == 0
    strict = run_assay("check", "--format", "json", "--trusted-ref", "main", cwd=root)
    assert strict.returncode == 0, "main's config raises the limit to 100 and main's rule has default 2"
