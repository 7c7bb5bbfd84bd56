"""What the workflows do, end to end, on real git repositories with a bare repository as the remote.

A repository is made with `assay init`, given a runner (bot) key and a validator key, and
pushed. A pull-request branch adds a feature; the pull-request workflow's own steps check
it against the base branch's rules and write the plan diff. It is merged; the train
workflow's steps find the changed model, configure the bot's signing from the secret, and
run it with --commit --push, while a second runner pushes its own evidence in between, so
the push is retried on top of the moved remote and both records join the chain. A
validator approves; the promote workflow's steps promote and push. The verify workflow's
steps, on a fresh clone of the remote, verify the evidence and every commit signature.

Each workflow step runs its real `run:` script (read from the workflow files `assay init`
wrote), with the test giving the values of its `${{ }}` expressions as GitHub would.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import run_assay_process, run_workflow_step, step_outputs

MODEL = "marketing-propensity"
BOT = "assay-bot@examplebank.com"
VALIDATOR = "grace.whitman@examplebank.com"
DEVELOPER = ("Ben Alvarez", "ben.alvarez@examplebank.com")
MAINTAINER = ("Mia Chen", "mia.chen@examplebank.com")


def git(root: Path, *args: str, who: tuple[str, str] | None = MAINTAINER) -> str:
    """git in `root`, as `who` (None: as the repository's own configuration says)."""
    identity = ["-c", f"user.name={who[0]}", "-c", f"user.email={who[1]}"] if who else []
    done = subprocess.run(
        ["git", *identity, *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout.strip()


def assay(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_assay_process(*args, cwd=root)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


@dataclass
class World:
    tmp: Path
    remote: Path
    keys: Path

    def clone(self, name: str) -> Path:
        target = self.tmp / name
        git(self.tmp, "clone", "--quiet", str(self.remote), str(target))
        return target

    def step(
        self, clone: Path, workflow: str, job: str, step_id: str, env: dict[str, str], runner: str
    ) -> subprocess.CompletedProcess[str]:
        return run_workflow_step(clone / ".github" / "workflows" / workflow, job, step_id, clone, env, self.tmp / "runners" / runner)

    def records(self, clone: Path) -> list[str]:
        return sorted(p.name for p in (clone / "evidence" / MODEL / "records").glob("*.dsse.json"))


def add_household_size(repo: Path) -> None:
    """A pull request's change: a new feature, with its column added to both data files and their digests updated."""
    folder = repo / "models" / MODEL
    spec = (folder / "model.yaml").read_text()
    for name in ("train.csv", "oot.csv"):
        path = folder / "data" / name
        old = hashlib.sha256(path.read_bytes()).hexdigest()
        rows = list(csv.reader(path.read_text().splitlines()))
        draw = random.Random(name)
        rows[0].insert(-1, "household_size")
        for row in rows[1:]:
            row.insert(-1, str(draw.randint(1, 6)))
        with path.open("w", newline="") as stream:
            csv.writer(stream, lineterminator="\n").writerows(rows)
        spec = spec.replace(old, hashlib.sha256(path.read_bytes()).hexdigest())
    feature = (
        "    - name: household_size\n"
        "      type: numeric\n"
        "      description: Persons in the household, from the prescreen list.\n"
        "      piiClass: none\n"
        "      range: {min: 1, max: 6}\n"
    )
    spec = spec.replace("  protectedAttributes:\n", feature + "  protectedAttributes:\n", 1)
    (folder / "model.yaml").write_text(spec.replace("version: 0.4.0", "version: 0.5.0", 1))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """`assay init`, a runner and a validator key in the trust root, committed and pushed to a bare remote."""
    tmp = tmp_path_factory.mktemp("gitops")
    keys = tmp / "keys"
    remote = tmp / "origin.git"
    git(tmp, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    assay(tmp, "init", "seed")
    seed = tmp / "seed"
    git(seed, "init", "--quiet", "--initial-branch=main")
    assay(seed, "keygen", "--role", "runner", "--principal", BOT, "--out", str(keys / "runner.pem"), "--add-to-trust")
    assay(seed, "keygen", "--role", "validator", "--principal", VALIDATOR, "--out", str(keys / "validator.pem"), "--add-to-trust")
    git(seed, "add", "-A")
    git(seed, "commit", "--quiet", "-m", "assay init: example model, policy library, trust root, workflows")
    git(seed, "remote", "add", "origin", str(remote))
    git(seed, "push", "--quiet", "origin", "main")
    return World(tmp, remote, keys)


@pytest.fixture(scope="module")
def pull_request(world: World) -> Path:
    """A developer's clone with a branch that adds a feature, as a pull request against main."""
    dev = world.clone("developer")
    git(dev, "checkout", "--quiet", "-b", "add-household-size")
    add_household_size(dev)
    git(dev, "commit", "--quiet", "-am", "marketing-propensity: add household_size", who=DEVELOPER)
    git(dev, "push", "--quiet", "origin", "add-household-size")
    return dev


def pr_step(world: World, dev: Path, step_id: str) -> subprocess.CompletedProcess[str]:
    return world.step(dev, "pull-request.yml", "assay", step_id, {"BASE_REF": "main", "SAME_REPOSITORY": "true"}, "pull-request")


def test_pull_request_is_checked_against_the_base_branch(world: World, pull_request: Path) -> None:
    done = pr_step(world, pull_request, "check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "::error" not in done.stdout
    sarif = pr_step(world, pull_request, "sarif")
    assert sarif.returncode == 0, sarif.stderr
    report = json.loads((pull_request / "assay.sarif").read_text())
    assert report["version"] == "2.1.0" and report["runs"][0]["tool"]["driver"]["name"] == "assay"
    policy = pr_step(world, pull_request, "policy")
    assert policy.returncode == 0 and "policies/ is unchanged" in policy.stdout


def test_pull_request_plan_diff_shows_the_material_change(world: World, pull_request: Path) -> None:
    done = pr_step(world, pull_request, "plan")
    assert done.returncode == 0, done.stdout + done.stderr
    markdown = (pull_request / "plan-diff.md").read_text()
    assert "origin/main" in markdown
    assert f"`{MODEL}`" in markdown and "**1 material**" in markdown
    added = next(line for line in markdown.splitlines() if "`/data/features/12`" in line)
    assert "| added | features |" in added and "⚠️" in added, added
    assert any("/data/train/sha256" in line and "| changed | data |" in line for line in markdown.splitlines())


def test_a_policy_change_runs_the_policy_tests(world: World) -> None:
    dev = world.clone("policy-author")
    git(dev, "checkout", "--quiet", "-b", "tweak-policies")
    bundle = dev / "policies" / "fair-lending.yaml"
    bundle.write_text(bundle.read_text() + "\n# reviewed\n")
    git(dev, "commit", "--quiet", "-am", "policies: a comment")
    policy = pr_step(world, dev, "policy")
    assert policy.returncode == 0, policy.stdout + policy.stderr
    assert "rules" in policy.stdout and "failed" in policy.stdout and "policies/ is unchanged" not in policy.stdout


@pytest.fixture(scope="module")
def merged(world: World, pull_request: Path) -> tuple[str, str]:
    """The pull request merged into main (a merge commit) by a maintainer and pushed: the push's before and after."""
    maintainer = world.clone("maintainer")
    before = git(maintainer, "rev-parse", "HEAD")
    git(maintainer, "merge", "--quiet", "--no-ff", "-m", "Merge pull request #1 from add-household-size", "origin/add-household-size")
    git(maintainer, "push", "--quiet", "origin", "main")
    return before, git(maintainer, "rev-parse", "HEAD")


def runner_secret(world: World) -> dict[str, str]:
    return {"ASSAY_RUNNER_KEY": (world.keys / "runner.pem").read_text(), "ASSAY_KEY_PASSWORD": ""}


@pytest.fixture(scope="module")
def trained(world: World, merged: tuple[str, str]) -> dict[str, str]:
    """The train workflow on one runner, while a second runner pushes its own evidence first: the push is retried."""
    before, after = merged
    runner = world.clone("runner-a")  # checked out before the other runner pushes
    pushed = {"BOT_NAME": "assay-bot", "EVENT": "push", "REQUESTED": "", "BEFORE": before, "AFTER": after}
    found = world.step(runner, "train.yml", "train", "changed", pushed, "train")
    assert found.returncode == 0, found.stderr
    models = step_outputs(world.tmp / "runners" / "train")["models"]
    assert models == MODEL

    other = world.clone("runner-b")
    git(other, "config", "user.name", "assay-bot")
    git(other, "config", "user.email", BOT)
    git(other, "config", "gpg.format", "ssh")
    git(other, "config", "user.signingkey", str(world.keys / "runner.ssh"))
    assay(other, "run", MODEL, "--commit", "--push", "--key", str(world.keys / "runner.pem"), "--quiet")
    moved = git(other, "rev-parse", "HEAD")

    identity = world.step(runner, "train.yml", "train", "identity", {"BOT_NAME": "assay-bot", **runner_secret(world)}, "train")
    assert identity.returncode == 0, identity.stderr
    assert git(runner, "config", "user.email", who=None) == BOT
    env = {"BOT_NAME": "assay-bot", "MODELS": models, "ASSAY_SIGNING_KEY": "env:ASSAY_RUNNER_KEY", **runner_secret(world)}
    ran = world.step(runner, "train.yml", "train", "run", env, "train")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "passed" in ran.stdout
    assert "BEGIN PRIVATE KEY" not in ran.stdout + ran.stderr + identity.stdout + identity.stderr
    return {"after": after, "moved": moved, "head": git(runner, "rev-parse", "HEAD"), "runner": str(runner)}


@pytest.mark.parametrize(
    ("event", "requested", "before", "expected"),
    [
        ("push", "", "0" * 40, MODEL),  # an unknown `before` falls back to the push's first parent
        ("push", "", "HEAD", ""),  # nothing changed under models/
        ("workflow_dispatch", "", "", MODEL),  # by hand, nothing named: every model
        ("workflow_dispatch", f"{MODEL} ../etc no-such-model", "", MODEL),  # by hand: the named models that exist
    ],
)
def test_train_chooses_the_models_to_run(
    world: World, merged: tuple[str, str], event: str, requested: str, before: str, expected: str
) -> None:
    after = merged[1]
    runner = world.clone(f"runner-probe-{event}-{len(requested)}-{before[:1]}")
    env = {"BOT_NAME": "assay-bot", "EVENT": event, "REQUESTED": requested, "BEFORE": after if before == "HEAD" else before, "AFTER": after}
    done = world.step(runner, "train.yml", "train", "changed", env, runner.name)
    assert done.returncode == 0, done.stderr
    assert step_outputs(world.tmp / "runners" / runner.name)["models"] == expected
    if "../etc" in requested:
        assert "::warning::skipping models/../etc" in done.stdout


def test_train_without_the_secret_fails_clearly(world: World, merged: tuple[str, str]) -> None:
    runner = world.clone("runner-nokey")
    env = {"BOT_NAME": "assay-bot", "ASSAY_RUNNER_KEY": "", "ASSAY_KEY_PASSWORD": ""}
    done = world.step(runner, "train.yml", "train", "identity", env, "nokey")
    assert done.returncode == 1
    assert "::error::the ASSAY_RUNNER_KEY secret is not set" in done.stdout


def test_evidence_from_both_runners_reaches_the_remote_in_one_chain(world: World, trained: dict[str, str]) -> None:
    remote_head = git(world.remote, "rev-parse", "main")
    assert remote_head == trained["head"]
    # The second runner's push came first; the first runner rebuilt its records on top of it.
    assert git(world.remote, "rev-parse", f"{trained['head']}~1") == trained["moved"]
    assert git(world.remote, "rev-parse", f"{trained['moved']}~1") == trained["after"]
    first = git(world.remote, "show", "--name-only", "--format=", trained["moved"])
    second = git(world.remote, "show", "--name-only", "--format=", trained["head"])
    assert f"evidence/{MODEL}/records/0001-provenance.dsse.json" in first.splitlines()
    assert f"evidence/{MODEL}/records/0003-provenance.dsse.json" in second.splitlines()
    message = git(world.remote, "log", "-1", "--format=%s%n%an <%ae>", trained["head"])
    assert message.startswith(f"evidence({MODEL}): 0.5.0 plan ") and f"assay-bot <{BOT}>" in message


@pytest.fixture(scope="module")
def promoted(world: World, trained: dict[str, str]) -> Path:
    """An independent validator approves the plan from their clone; the promote workflow's steps promote it to production."""
    validator = world.clone("validator")
    git(validator, "config", "user.name", "Grace Whitman")
    git(validator, "config", "user.email", VALIDATOR)
    git(validator, "config", "gpg.format", "ssh")
    git(validator, "config", "user.signingkey", str(world.keys / "validator.ssh"))
    assay(validator, "approve", MODEL, "--env", "production", "--key", str(world.keys / "validator.pem"), "--trusted-ref", "origin/main")
    git(validator, "push", "--quiet", "origin", "main", who=None)

    bot = world.clone("promoter")
    env = {"MODEL": MODEL, "ENVIRONMENT": "production", "BRANCH": "main", "BOT_NAME": "assay-bot", **runner_secret(world)}
    identity = world.step(bot, "promote.yml", "promote", "identity", env, "promote")
    assert identity.returncode == 0, identity.stderr
    done = world.step(bot, "promote.yml", "promote", "promote", {**env, "ASSAY_SIGNING_KEY": "env:ASSAY_RUNNER_KEY"}, "promote")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "promoted plan" in done.stdout
    return bot


def test_promotion_reaches_the_remote(world: World, promoted: Path) -> None:
    auditor = world.clone("auditor-deploy")
    deployed = auditor / "deploy" / "production" / MODEL
    assert (deployed / "promotion.json").is_file()
    assert git(auditor, "log", "-1", "--format=%s").startswith(f"promote({MODEL}): production plan ")


def test_a_fresh_clone_of_the_remote_verifies(world: World, promoted: Path) -> None:
    auditor = world.clone("auditor")
    assert not (auditor / ".assay").exists(), "nothing local: artifacts are checked by digest only"
    env = {"TRUSTED_BRANCH": "main"}
    verified = world.step(auditor, "verify.yml", "verify", "verify", env, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{MODEL}: verified" in verified.stdout
    assert "FAILED" not in verified.stdout
    signatures = world.step(auditor, "verify.yml", "verify", "signatures", env, "verify")
    assert signatures.returncode == 0, signatures.stdout + signatures.stderr
    summary = (world.tmp / "runners" / "verify" / "summary").read_text()
    rows = [line for line in summary.splitlines() if line.startswith("| ") and not line.startswith("| commit")]
    assert len(rows) == 4, summary  # two evidence commits, the approval, the promotion
    assert all(row.split(" | ")[1] == "G" for row in rows), summary
    assert {row.split(" | ")[2] for row in rows} == {BOT, VALIDATOR}


def test_git_alone_verifies_the_bots_commits(world: World, trained: dict[str, str], tmp_path: Path) -> None:
    auditor = world.clone("auditor-git")
    signers = tmp_path / "allowed_signers"
    assay(auditor, "allowed-signers", "--trusted-ref", "origin/main", "--output", str(signers))
    for commit in (trained["moved"], trained["head"]):
        done = subprocess.run(
            ["git", "-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-commit", commit],
            cwd=auditor,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert f'Good "git" signature for {BOT}' in done.stderr
