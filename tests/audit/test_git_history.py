"""Reading history with one `git log` and one `git cat-file --batch`: commits, trees of any commit, and the judges cache."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from assay.audit.judging import JudgesCache
from assay.cli.repository import load_judges
from assay.load.git_history import CommitTree, ObjectReader, log_commits
from assay.load.git_tree import GitTree
from support import AUDITED_MODEL as MODEL
from support import AuditedHistory, run_assay_process


def test_log_lists_the_commits_that_touched_the_paths_oldest_first(history: AuditedHistory, tmp_path: Path) -> None:
    commits = log_commits(history.root, [f"models/{MODEL}/model.yaml"])
    assert [c.sha for c in commits] == [history.commits[name] for name in ("added", "documentation", "material")]
    first, documentation, material = commits
    assert first.parents == () and documentation.parents == (history.commits["run1"],)
    assert documentation.author_email == "dana.writer@examplebank.com" and documentation.subject == "docs: describe the model"
    assert [(c.status, c.path) for c in documentation.changes] == [("M", f"models/{MODEL}/model.yaml")]
    assert material.signature == "N", "without an allowed-signers file git cannot check an SSH signature"
    signers = tmp_path / "allowed_signers"
    assert run_assay_process("allowed-signers", "-o", str(signers), cwd=history.root).returncode == 0
    checked = log_commits(history.root, [f"models/{MODEL}/model.yaml"], allowed_signers=signers)
    assert [c.signature for c in checked] == ["N", "N", "G"] and checked[-1].signer == "ben.alvarez@examplebank.com"
    everything = log_commits(history.root, ["evidence"])
    assert everything[-1].sha == history.commits["tamper"]
    assert {c.status for c in everything[0].changes} == {"A"}


def test_a_commit_tree_reads_what_git_tree_reads(history: AuditedHistory) -> None:
    with ObjectReader(history.root) as objects:
        for name in ("added", "promotion"):
            lazy, listed = CommitTree(objects, history.commits[name]), GitTree(history.root, history.commits[name])
            for pattern in ("policies/*.yaml", "models/*/model.yaml", "evidence/**/*.json", "**/trust.yaml", "*.yaml"):
                assert lazy.glob(pattern) == listed.glob(pattern), pattern
            for path in listed.glob("**/*.yaml"):
                assert lazy.read(path).content == listed.read(path).content
            assert not lazy.exists("models") and lazy.folder_id("models") is not None
            assert lazy.blob_id("nope/nothing") is None
            listed.close()


def test_one_cat_file_process_serves_every_commit(history: AuditedHistory, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Any] = []
    real = subprocess.Popen

    def counting(*args: Any, **kwargs: Any) -> Any:
        started.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting)
    commits = log_commits(history.root, ["."])
    cache = JudgesCache(load_judges)
    with ObjectReader(history.root) as objects:
        for commit in commits:
            tree = CommitTree(objects, commit.sha)
            cache.judges_at(tree)
            tree.read(f"models/{MODEL}/model.yaml")
    assert [command for command in started if command[:2] == ["git", "cat-file"]] == [["git", "cat-file", "--batch"]]
    assert cache.loads == 1, "the policies never changed, so they were compiled once"


def test_judges_are_rebuilt_when_a_policy_changes(history: AuditedHistory, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(history.root), str(root)], check=True)
    bundle = root / "policies" / "model-risk.yaml"
    bundle.write_text(bundle.read_text().replace("Periodic review within the tier's interval", "Periodic review"))
    subprocess.run(["git", "-c", "user.name=A", "-c", "user.email=a@b.c", "commit", "-qam", "retitle"], cwd=root, check=True)
    cache = JudgesCache(load_judges)
    with ObjectReader(root) as objects:
        for commit in log_commits(root, ["."]):
            cache.judges_at(CommitTree(objects, commit.sha))
    assert cache.loads == 2
