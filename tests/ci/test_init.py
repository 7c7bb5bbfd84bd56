"""`assay init`: a new model repository that passes `assay check` at once, and never a file overwritten."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support import REPO_ROOT, run_assay_process

EXPECTED = {
    "assay.yaml",
    ".gitignore",
    "README.md",
    "keys/trust.yaml",
    "models/marketing-propensity/model.yaml",
    "models/marketing-propensity/data/train.csv",
    "models/marketing-propensity/data/oot.csv",
    "policies/deployment.yaml",
    "policies/fair-lending.yaml",
    "policies/model-risk.yaml",
    "policies/privacy-security.yaml",
    "policies/waivers.yaml",
    ".github/workflows/pull-request.yml",
    ".github/workflows/train.yml",
    ".github/workflows/verify.yml",
    ".github/workflows/promote.yml",
    ".github/CODEOWNERS",
}


def files_in(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_init_into_an_empty_folder_passes_check(tmp_path: Path) -> None:
    target = tmp_path / "new-repo"
    done = run_assay_process("init", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert files_in(target) == EXPECTED
    assert "17 file(s) created, 0 skipped" in done.stdout
    checked = run_assay_process("check", cwd=target)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 errors" in checked.stdout
    tested = run_assay_process("policy", "test", cwd=target)
    assert tested.returncode == 0, tested.stdout
    planned = run_assay_process("plan", cwd=target)
    assert planned.returncode == 0, planned.stderr


def test_the_example_and_the_policies_are_this_repositorys_own(tmp_path: Path) -> None:
    assert run_assay_process("init", str(tmp_path), cwd=tmp_path).returncode == 0
    for path in ("models/marketing-propensity/model.yaml", "models/marketing-propensity/data/train.csv", "policies/fair-lending.yaml"):
        assert (tmp_path / path).read_bytes() == (REPO_ROOT / path).read_bytes(), path
    assert b"aml-alert-scoring" not in (tmp_path / "policies/waivers.yaml").read_bytes(), "no waivers of this repository's models"
    trust = (tmp_path / "keys/trust.yaml").read_text()
    assert "keys: []" in trust and "assay keygen --role runner" in trust and "ASSAY_RUNNER_KEY" in trust
    assert ".assay/" in (tmp_path / ".gitignore").read_text().splitlines()


def test_init_in_the_current_folder_by_default(tmp_path: Path) -> None:
    assert run_assay_process("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "assay.yaml").is_file()


def test_init_never_overwrites_in_a_non_empty_folder(tmp_path: Path) -> None:
    mine = {
        "assay.yaml": b"# my own configuration\napiVersion: assay/v1\nkind: Config\nmodels: [models/*/model.yaml]\n",
        ".gitignore": b"node_modules/\n",
        "policies/fair-lending.yaml": b"# my bank's edited library: not valid, but mine\n",
        "notes.txt": b"untouched\n",
    }
    for path, content in mine.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    (tmp_path / ".github").write_text("a file where init wants a folder\n")
    before = {path: hashlib.sha256((tmp_path / path).read_bytes()).hexdigest() for path in [*mine, ".github"]}

    done = run_assay_process("init", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for path, digest in before.items():
        assert hashlib.sha256((tmp_path / path).read_bytes()).hexdigest() == digest, f"{path} was changed"
    assert "skipped  assay.yaml (exists, kept as it is)" in done.stdout
    assert "skipped  policies/fair-lending.yaml (exists, kept as it is)" in done.stdout
    assert "skipped  .github/workflows/train.yml (.github is a file, not a folder)" in done.stdout
    assert "add .assay/ to your .gitignore" in done.stdout
    assert (tmp_path / "models/marketing-propensity/model.yaml").is_file()
    assert (tmp_path / "keys/trust.yaml").is_file()

    again = run_assay_process("init", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 0
    assert " 0 file(s) created" in again.stdout


def test_init_does_not_write_through_a_link_that_leaves_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "repo"
    target.mkdir()
    (target / "policies").symlink_to(outside, target_is_directory=True)
    done = run_assay_process("init", str(target), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert list(outside.iterdir()) == []
    assert "policies is a link that leads outside" in done.stdout


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "assay.yaml"
    target.write_text("kind: Config\n")
    done = run_assay_process("init", str(target), cwd=tmp_path)
    assert done.returncode == 2
    assert "is a file" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == "kind: Config\n"


def test_init_help_teaches() -> None:
    done = run_assay_process("init", "--help")
    assert done.returncode == 0
    for words in (
        "never overwritten",
        "keys/trust.yaml",
        ".github/workflows/",
        "assay keygen --role runner",
        "ASSAY_RUNNER_KEY",
        "Exit codes",
    ):
        assert words in done.stdout, words
    assert "init" in run_assay_process("--help").stdout


@pytest.mark.slow
def test_the_wheel_carries_what_init_copies(tmp_path: Path) -> None:
    """Built as a wheel, assay init works outside the checkout: the scaffold's files are package data."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO_ROOT)], check=True, capture_output=True)
    (wheel,) = dist.glob("assay-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    for path in ("policies/fair-lending.yaml", "models/marketing-propensity/data/train.csv", "workflows/train.yml", "CODEOWNERS"):
        assert f"assay/scaffold/bundled/{path}" in names, path
    assert "assay/scaffold/templates/keys/trust.yaml" in names
    assert not any(name.startswith("assay/scaffold/bundled/models/marketing-propensity/monitoring") for name in names)

    # The unpacked wheel comes first on sys.path, ahead of the editable install of the checkout.
    env = {"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"}
    repo = tmp_path / "repo"
    where = subprocess.run(
        [sys.executable, "-c", "import assay; print(assay.__file__)"], env=env, capture_output=True, text=True, check=True
    )
    assert where.stdout.startswith(str(tmp_path / "site"))
    done = subprocess.run([sys.executable, "-m", "assay", "init", str(repo)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert {p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file()} == EXPECTED
    checked = subprocess.run([sys.executable, "-m", "assay", "check"], cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
