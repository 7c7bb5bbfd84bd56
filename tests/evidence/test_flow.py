"""Evidence end to end on real git repositories: run --commit, verify, approve, promote, and the tamper suite."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support import assay_expect as assay
from support import repository_copy, run_assay_process, start_signed_repository

MODEL = "marketing-propensity"
VALIDATOR = "grace.whitman@examplebank.com"
DEVELOPER = "ben.alvarez@examplebank.com"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Bot", "-c", "user.email=bot@examplebank.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def keygen(root: Path, keys: Path, role: str, principal: str, name: str) -> Path:
    out = keys / f"{name}.pem"
    assay(root, "keygen", "--role", role, "--principal", principal, "--out", str(out), "--add-to-trust")
    return out


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A repository with the marketing model, a runner and a validator key, and one committed signed run."""
    root = tmp_path_factory.mktemp("repo")
    keys = tmp_path_factory.mktemp("keys")

    def commit() -> None:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "model and trust root")

    signers = (("runner", "bot@examplebank.com", "runner"), ("validator", VALIDATOR, "validator"), ("validator", DEVELOPER, "developer"))
    start_signed_repository(root, keys, MODEL, signers, commit=commit)
    git(root, "config", "gpg.format", "ssh")
    git(root, "config", "user.signingkey", str(keys / "runner.ssh"))
    assay(root, "run", MODEL, "--commit", "--key", str(keys / "runner.pem"), "--quiet")
    return root, keys


@pytest.fixture
def repo(origin: tuple[Path, Path], tmp_path: Path) -> Path:
    return repository_copy(origin[0], tmp_path)


def verify(root: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    done = run_assay_process("verify", "--format", "json", *extra, cwd=root)
    assert done.returncode in (0, 1), done.stderr
    report: dict = json.loads(done.stdout)[MODEL]  # type: ignore[type-arg]
    report["exit"] = done.returncode
    return report


def failures(report: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(f["path"], f["message"]) for f in report["findings"] if f["status"] == "failed"]


def records(root: Path) -> list[Path]:
    return sorted((root / "evidence" / MODEL / "records").glob("*.dsse.json"))


def test_run_commits_signed_chained_records(origin: tuple[Path, Path]) -> None:
    root, _ = origin
    assert [p.name for p in records(root)] == ["0001-provenance.dsse.json", "0002-tests.dsse.json"]
    message = git(root, "log", "-1", "--format=%B")
    assert message.startswith(f"evidence({MODEL}): ") and "PASSED" in message
    assert git(root, "status", "--porcelain", "--", "evidence") == ""
    report = verify(root)
    assert report["exit"] == 0, failures(report)
    assert len(report["records"]) == 2


def test_evidence_commit_is_ssh_signed_and_git_verifies_it(origin: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = origin
    signers = tmp_path / "allowed_signers"
    assay(root, "allowed-signers", "-o", str(signers))
    assert 'bot@examplebank.com namespaces="git"' in signers.read_text()
    done = subprocess.run(
        ["git", "-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-commit", "HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert 'Good "git" signature for bot@examplebank.com' in done.stderr
    unsigned = subprocess.run(
        ["git", "-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-commit", "HEAD~1"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unsigned.returncode != 0


def test_envelopes_verify_with_securesystemslib_alone(origin: tuple[Path, Path]) -> None:
    root, _ = origin
    trust = yaml.safe_load((root / "keys" / "trust.yaml").read_text())
    runner = next(k for k in trust["keys"] if k["role"] == "runner")
    script = (
        "import json,sys\n"
        "from securesystemslib.dsse import Envelope\n"
        "from securesystemslib.signer import SSlibKey\n"
        "key=SSlibKey(sys.argv[2],'ed25519','ed25519',{'public':sys.argv[3]})\n"
        "env=Envelope.from_dict(json.load(open(sys.argv[1])))\n"
        "print(sorted(env.verify([key],1)))\n"
        "assert not any(m.startswith('assay') for m in sys.modules)\n"
    )
    for record in records(root):
        done = subprocess.run(
            [sys.executable, "-I", "-c", script, str(record), runner["keyid"], runner["public"]],
            capture_output=True,
            text=True,
            check=False,
        )
        assert runner["keyid"] in done.stdout, done.stderr


def _first_report(root: Path) -> Path:
    return next((root / "evidence" / MODEL / "runs").glob("*/reports/metrics.json"))


def test_tampered_report_is_named(repo: Path) -> None:
    report_file = _first_report(repo)
    report_file.write_bytes(report_file.read_bytes().replace(b"0.7", b"0.9", 1))
    report = verify(repo)
    assert report["exit"] == 1
    assert any(path.endswith("reports/metrics.json") and "changed" in message for path, message in failures(report))


def test_tampered_record_is_named(repo: Path) -> None:
    record = records(repo)[1]
    content = bytearray(record.read_bytes())
    content[content.index(b'"sig"') + 12] ^= 0x01
    record.write_bytes(bytes(content))
    assert next(path for path, _ in failures(verify(repo))).endswith("0002-tests.dsse.json")


def test_tampered_store_artifact_is_named(repo: Path) -> None:
    statement = json.loads(base64.b64decode(json.loads(records(repo)[0].read_text())["payload"]))
    digest = next(s["digest"]["sha256"] for s in statement["subject"] if s["name"] == "package/model.skops")
    victim = repo / ".assay" / "store" / "sha256" / digest[:2] / digest[2:]
    victim.write_bytes(victim.read_bytes() + b"x")
    assert any("store" in message for _, message in failures(verify(repo)))


def test_deleted_record_breaks_the_chain(repo: Path) -> None:
    records(repo)[0].unlink()
    report = verify(repo)
    assert report["exit"] == 1
    assert any("chain is broken" in message for _, message in failures(report))


def test_reordered_records_break_the_chain(repo: Path) -> None:
    first, second = records(repo)
    first.rename(first.with_name("tmp"))
    second.rename(second.with_name("0001-tests.dsse.json"))
    first.with_name("tmp").rename(second.with_name("0002-provenance.dsse.json"))
    assert any("chain is broken" in message for _, message in failures(verify(repo)))


def test_record_replayed_onto_another_model_is_rejected(repo: Path) -> None:
    other = repo / "evidence" / "consumer-credit-pd" / "records"
    other.mkdir(parents=True)
    shutil.copy(records(repo)[0], other / "0001-provenance.dsse.json")
    done = run_assay_process("verify", "consumer-credit-pd", "--format", "json", cwd=repo)
    assert done.returncode == 1
    messages = [f["message"] for f in json.loads(done.stdout)["consumer-credit-pd"]["findings"]]
    assert any("replayed" in message for message in messages)


def _edit_trust(repo: Path, change: str) -> None:
    path = repo / "keys" / "trust.yaml"
    trust = yaml.safe_load(path.read_text())
    runner = next(k for k in trust["keys"] if k["role"] == "runner")
    if change == "remove":
        trust["keys"].remove(runner)
    elif change == "expire":
        runner["notBefore"], runner["notAfter"] = "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"
    else:
        runner["revokedAt"] = "2021-01-01T00:00:00Z"
    path.write_text(yaml.safe_dump(trust, sort_keys=False))


@pytest.mark.parametrize(("change", "reason"), [("remove", "no signature from a known key"), ("expire", "expired"), ("revoke", "revoked")])
def test_untrusted_expired_or_revoked_key_is_rejected(repo: Path, change: str, reason: str) -> None:
    _edit_trust(repo, change)
    report = verify(repo)
    assert report["exit"] == 1
    assert any(reason in message for _, message in failures(report)), failures(report)


def test_branch_that_trusts_its_own_key_fails_against_the_trusted_ref(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "-b", "sneaky")
    rogue = keygen(repo, tmp_path, "runner", "rogue@example.com", "rogue")
    git(repo, "add", "keys/trust.yaml")
    git(repo, "commit", "-q", "-m", "trust my key")
    assay(repo, "run", MODEL, "--commit", "--key", str(rogue), "--quiet")
    assert verify(repo)["exit"] == 0, "judged by its own trust root, the branch looks fine"
    report = verify(repo, "--trusted-ref", "main")
    assert report["exit"] == 1
    assert any("no signature from a known key" in message for _, message in failures(report))


def test_self_approval_cannot_promote_and_independent_approval_can(repo: Path, origin: tuple[Path, Path]) -> None:
    keys = origin[1]
    assay(repo, "approve", MODEL, "--env", "production", "--key", str(keys / "developer.pem"))
    refused = assay(repo, "promote", MODEL, "--env", "production", "--key", str(keys / "runner.pem"), code=1)
    assert f"approval by {DEVELOPER} does not count: they developed the model" in refused.stderr
    assert not (repo / "deploy").exists()
    assay(repo, "approve", MODEL, "--env", "production", "--key", str(keys / "validator.pem"))
    promoted = assay(repo, "promote", MODEL, "--env", "production", "--key", str(keys / "runner.pem"))
    assert "promoted" in promoted.stdout
    deployed = sorted(p.name for p in (repo / "deploy" / "production" / MODEL).iterdir())
    assert "promotion.json" in deployed and len(deployed) >= 2
    report = verify(repo)
    assert report["exit"] == 0, failures(report)
    manifest = next(p for p in (repo / "deploy" / "production" / MODEL).iterdir() if p.name != "promotion.json")
    manifest.write_text(manifest.read_text() + "\n# edited by hand\n")
    assert any("edited by hand" in message for _, message in failures(verify(repo)))


def test_a_validator_key_cannot_sign_training_records(repo: Path, origin: tuple[Path, Path]) -> None:
    done = assay(repo, "run", MODEL, "--commit", "--key", str(origin[1] / "validator.pem"), "--quiet", code=2)
    assert "needs a runner key" in done.stderr


def test_two_runs_at_once_serialise_and_both_records_join_the_chain(repo: Path, origin: tuple[Path, Path]) -> None:
    key = str(origin[1] / "runner.pem")
    command = [sys.executable, "-m", "assay", "run", MODEL, "--commit", "--key", key, "--quiet"]
    first = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    second = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    assert second.wait(timeout=300) == 0, second.stderr.read() if second.stderr else ""
    assert [p.name for p in records(repo)][2:] == [
        "0003-provenance.dsse.json",
        "0004-tests.dsse.json",
        "0005-provenance.dsse.json",
        "0006-tests.dsse.json",
    ]
    assert git(repo, "status", "--porcelain", "--", "evidence") == ""
    report = verify(repo)
    assert report["exit"] == 0, failures(report)


def test_a_record_that_entered_after_its_keys_revocation_is_rejected_whatever_time_it_claims(repo: Path, origin: tuple[Path, Path]) -> None:
    """Decision 0005, rule 2: a thief's records claim a time before `revokedAt`; their place in git gives them away."""
    path = repo / "keys" / "trust.yaml"
    trust = yaml.safe_load(path.read_text())
    runner = next(k for k in trust["keys"] if k["role"] == "runner")
    runner["revokedAt"] = "2099-01-01T00:00:00Z"  # every signed time here is before it, as a backdating thief's would be
    path.write_text(yaml.safe_dump(trust, sort_keys=False))
    git(repo, "commit", "-q", "-am", "revoke the runner key")
    report = verify(repo)
    assert report["exit"] == 0, failures(report)  # the records that entered before the revocation still verify

    stolen = origin[1] / "runner.pem"
    assay(repo, "run", MODEL, "--commit", "--key", str(stolen), "--quiet", code=None)
    late = [p.name for p in records(repo)][2:]
    assert late, "the run should have committed records signed with the revoked key"
    report = verify(repo)
    assert report["exit"] == 1
    rejected = {Path(p).name: m for p, m in failures(report)}
    assert set(late) <= set(rejected), rejected
    assert "at or after its key" in rejected[late[0]] and "revoke" in rejected[late[0]]
    assert verify(repo, "--trusted-ref", "main")["exit"] == 1
    audit = json.loads(assay(repo, "audit", MODEL, "--format", "json", code=None).stdout)
    flagged = {Path(path).name: entry["status"] for entry in audit["entries"] for path in entry.get("evidence") or []}
    assert all(flagged[name] == "failed" for name in late), flagged
    assert all(flagged[name] == "verified" for name in ("0001-provenance.dsse.json", "0002-tests.dsse.json")), flagged
