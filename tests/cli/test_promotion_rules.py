"""Who may not approve a model: authors of material changes to its spec, read from a real git history."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from assay.cli.promotion_rules import material_change_authors
from support import REPO_ROOT

SPEC = "models/marketing-propensity/model.yaml"


def commit(root: Path, author: str, message: str) -> str:
    name = author.split("@", maxsplit=1)[0].title()
    env = ["-c", f"user.name={name}", "-c", f"user.email={author}"]
    subprocess.run(["git", *env, "commit", "-q", "-am", message], cwd=root, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def edit(root: Path, change: str) -> None:
    path = root / SPEC
    spec = yaml.safe_load(path.read_text())
    if change == "documentation":
        spec["metadata"]["description"] += " Reviewed."
    elif change == "estimator":
        spec["training"]["estimator"]["params"]["C"] = spec["training"]["estimator"]["params"]["C"] / 2
    path.write_text(yaml.safe_dump(spec, sort_keys=False) if change != "broken" else "metadata: [unclosed\n")


def test_authors_of_material_changes_with_their_latest_such_commit(tmp_path: Path) -> None:
    root = tmp_path
    (root / SPEC).parent.mkdir(parents=True)
    shutil.copy(REPO_ROOT / SPEC, root / SPEC)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=Ann", "-c", "user.email=Ann@bank.example", "commit", "-q", "-m", "add"], cwd=root, check=True)
    edit(root, "documentation")
    commit(root, "writer@bank.example", "docs only")
    edit(root, "estimator")
    material = commit(root, "carl@bank.example", "weaker regularisation")
    edit(root, "broken")
    commit(root, "dora@bank.example", "a spec that does not parse is no plan")
    shutil.copy(REPO_ROOT / SPEC, root / SPEC)
    restored = commit(root, "ann@bank.example", "back to the original: material against nothing")
    edit(root, "documentation")
    commit(root, "writer@bank.example", "docs again")
    assert material_change_authors(root, SPEC) == {"carl@bank.example": material, "ann@bank.example": restored}


def test_no_history_means_no_authors(tmp_path: Path) -> None:
    assert material_change_authors(tmp_path, SPEC) == {}
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    assert material_change_authors(tmp_path, SPEC) == {}
