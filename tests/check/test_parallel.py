"""Parallel checking: the same output with any number of workers, and workers that stay light."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from assay.check import parallel
from assay.cli.main import main
from support import REPO_ROOT, bench_script

AS_OF = "2026-11-29"
SPECS = 30


def _bench() -> ModuleType:
    return bench_script("check_bench")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    _bench().generate_repository(root, SPECS, True)
    spec = root / "models" / "credit-model-00003" / "model.yaml"
    spec.write_text(
        spec.read_text().replace("status: validation", "status: production").replace("status: development", "status: production")
    )
    (root / "models" / "credit-model-00005" / "model.yaml").write_text("a: [\n")
    return root


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(parallel, "MIN_CHUNK", 2)


def check(root: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["check", "--repo", str(root), "--as-of", AS_OF, "--no-color", "--no-cache", *args])
    return code, out.getvalue()


@pytest.mark.usefixtures("small_pool")
@pytest.mark.parametrize("output_format", ["json", "text"])
def test_any_number_of_workers_gives_the_same_output(generated: Path, output_format: str) -> None:
    reference = check(generated, "--format", output_format, "--jobs", "1")
    assert reference[0] == 1
    for jobs in ("2", "3", "7"):
        assert check(generated, "--format", output_format, "--jobs", jobs) == reference, jobs


@pytest.mark.usefixtures("small_pool")
def test_the_examples_in_parallel(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    for name in ("models", "policies", "schemas"):
        shutil.copytree(REPO_ROOT / name, root / name)
    shutil.copy(REPO_ROOT / "assay.yaml", root / "assay.yaml")
    assert check(root, "--jobs", "3") == check(root, "--jobs", "1")
    assert check(root, "--jobs", "3")[0] == 0


@pytest.mark.usefixtures("small_pool")
def test_spawned_workers_load_the_judges_themselves(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = check(generated, "--format", "json", "--jobs", "1")
    monkeypatch.setattr(parallel, "start_method", lambda: "spawn")
    monkeypatch.setattr(parallel, "MIN_CHUNK", 10)
    assert check(generated, "--format", "json", "--jobs", "2") == reference


def test_few_files_stay_in_this_process() -> None:
    assert parallel.workers_for(10, 8) == 1
    assert parallel.workers_for(parallel.PARALLEL_MIN_FILES - 1, 8) == 1
    assert parallel.workers_for(10_000, 1) == 1
    assert parallel.workers_for(10_000, 4) == 4
    assert parallel.default_jobs() >= 1


def test_jobs_must_be_positive(generated: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "assay", "check", "--repo", str(generated), "--jobs", "0"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "--jobs" in done.stderr


def test_workers_import_no_scikit_learn_numpy_or_pandas(generated: Path) -> None:
    """The check command, run in parallel, never imports the runner's heavy packages, in the parent or a worker."""
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        HEAVY = {{"sklearn", "numpy", "pandas", "scipy"}}
        def heavy():
            return sorted(HEAVY & {{name.split(".")[0] for name in sys.modules}})
        from assay.check import parallel
        from assay.cli.check import CheckOptions, execute_check
        parallel.PARALLEL_MIN_FILES, parallel.MIN_CHUNK = 2, 2
        original = parallel.check_source
        def guarded(*args, **kwargs):
            outcome = original(*args, **kwargs)
            if heavy():
                raise RuntimeError(f"a worker imported {{heavy()}}")
            return outcome
        parallel.check_source = guarded
        options = CheckOptions((), Path({str(generated)!r}), "json", None, False, None, None, 2, False)
        code = execute_check(options)
        print(json.dumps({{"code": code, "parent": heavy()}}), file=sys.stderr)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300)
    assert "a worker imported" not in done.stderr, done.stderr[-2000:]
    summary = json.loads(done.stderr.strip().splitlines()[-1])
    assert summary == {"code": 1, "parent": []}


@pytest.mark.usefixtures("small_pool")
def test_recycled_workers_give_the_same_output(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers replaced after every chunk (to bound memory a native binding may keep) change nothing."""
    reference = check(generated, "--format", "json", "--jobs", "1")
    monkeypatch.setattr(parallel, "RECYCLE_FILES", 1)
    assert check(generated, "--format", "json", "--jobs", "2") == reference
