"""The model package: round trips, byte-for-byte determinism, the type allowlist, MLflow loading, the model card."""

from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io
import yaml
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

import assay.run.package as package_module
from assay.run.estimators import ALLOWLIST, build_pipeline
from assay.run.model_file import TRUSTED_TYPES, ModelPackageError, UntrustedModelError, model_bytes, named_types
from assay.run.package import load_model_package, write_model_package

COLUMNS = [
    {"name": "income", "type": "numeric"},
    {"name": "utilization", "type": "numeric"},
    {"name": "region", "type": "categorical"},
    {"name": "channel", "type": "categorical"},
]
REQUIREMENTS = {"scikit-learn": "1.9.1", "numpy": "2.4.6", "pandas": "3.1.1", "skops": "0.16.0", "scipy": "1.17.1"}
DIGEST = "sha256:" + "ab" * 32
PREPROCESSING: list[dict[str, Any]] = [
    {},
    {"numeric": {"impute": "zero", "scale": "robust"}, "categorical": {"impute": "most-frequent", "encode": "ordinal"}},
    {"numeric": {"impute": "mean", "scale": "none"}, "categorical": {"minFrequency": 5}},
]

# Small ensembles keep the tests quick; a skops file names the same types at any size.
SMALL: dict[str, dict[str, Any]] = {
    "RandomForestClassifier": {"n_estimators": 8},
    "ExtraTreesClassifier": {"n_estimators": 8},
    "GradientBoostingClassifier": {"n_estimators": 8},
    "HistGradientBoostingClassifier": {"max_iter": 8},
}


def _frame(rows: int = 240, seed: int = 3) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "income": rng.normal(60.0, 15.0, rows),
            "utilization": rng.uniform(0.0, 1.0, rows),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "channel": rng.choice(["branch", "online"], rows),
        }
    )
    frame.loc[::13, "income"] = np.nan
    frame.loc[::17, "region"] = np.nan
    target = (frame["utilization"] + rng.normal(0.0, 0.3, rows) > 0.55).astype(int)
    return frame, target


def _fitted(estimator: str, preprocessing: dict[str, Any] | None = None) -> Any:
    frame, target = _frame()
    features = [{**column, "monotone": "increasing"} if column["name"] == "utilization" else column for column in COLUMNS]
    spec = {
        "data": {"features": features},
        "training": {"estimator": {"class": estimator, "params": SMALL.get(estimator, {})}, "preprocessing": preprocessing or {}},
    }
    return build_pipeline(spec, 7).fit(frame, target)


@pytest.fixture(scope="module")
def pipelines() -> dict[str, Any]:
    return {name: _fitted(name) for name in ALLOWLIST}


def _write(pipeline: Any, out_dir: Path, **overrides: Any) -> dict[str, str]:
    arguments: dict[str, Any] = {
        "model_name": "card-default",
        "version": "1.2.0",
        "plan_digest": DIGEST,
        "input_columns": COLUMNS,
        "requirements": REQUIREMENTS,
    }
    return write_model_package(model_bytes(pipeline), out_dir, **(arguments | overrides))


@pytest.mark.parametrize("estimator", sorted(ALLOWLIST))
def test_each_allowlisted_estimator_round_trips(pipelines: dict[str, Any], estimator: str, tmp_path: Path) -> None:
    frame, _ = _frame()
    digests = _write(pipelines[estimator], tmp_path / "package")
    assert list(digests) == ["MLmodel", "README.md", "conda.yaml", "model.skops", "python_env.yaml", "requirements.txt"]
    for name, digest in digests.items():
        assert hashlib.sha256((tmp_path / "package" / name).read_bytes()).hexdigest() == digest
    loaded = load_model_package(tmp_path / "package")
    np.testing.assert_array_equal(loaded.predict_proba(frame), pipelines[estimator].predict_proba(frame))


def test_trusted_types_cover_every_estimator_and_preprocessing(pipelines: dict[str, Any]) -> None:
    assert list(TRUSTED_TYPES) == sorted(set(TRUSTED_TYPES))
    seen: set[str] = set()
    for estimator in ALLOWLIST:
        for preprocessing in PREPROCESSING:
            named = named_types(model_bytes(_fitted(estimator, preprocessing)))
            assert named <= set(TRUSTED_TYPES), (estimator, preprocessing, sorted(named - set(TRUSTED_TYPES)))
            seen |= named
    # Nothing on the list is dead weight, except FunctionTransformer (allowed, not yet built by assay).
    assert set(TRUSTED_TYPES) - seen == {"sklearn.preprocessing._function_transformer.FunctionTransformer"}


def _addressless(schema: Any, files: list[str]) -> Any:
    """`schema` without the ids and file names skops derives from memory addresses; the file names in order into `files`."""
    if isinstance(schema, dict):
        if isinstance(schema.get("file"), str):
            files.append(schema["file"])
        return {key: _addressless(value, files) for key, value in schema.items() if key not in ("__id__", "file")}
    if isinstance(schema, list):
        return [_addressless(item, files) for item in schema]
    return schema


@pytest.mark.parametrize("estimator", sorted(ALLOWLIST))
def test_the_model_file_holds_what_skops_dumps_holds(pipelines: dict[str, Any], estimator: str) -> None:
    """model_bytes takes skops' state itself (no second dump): same schema and arrays as skops.io.dumps, save addresses."""
    with (
        zipfile.ZipFile(io.BytesIO(model_bytes(pipelines[estimator]))) as ours,
        zipfile.ZipFile(io.BytesIO(skops.io.dumps(pipelines[estimator]))) as theirs,
    ):
        our_files: list[str] = []
        their_files: list[str] = []
        assert _addressless(json.loads(ours.read("schema.json")), our_files) == _addressless(
            json.loads(theirs.read("schema.json")), their_files
        )
        renamed = dict(zip(their_files, our_files, strict=True))  # an array file shared in skops' file stays shared in ours
        assert list(dict.fromkeys(our_files)) == [f"{k}.npy" for k in range(1, len(renamed) + 1)] == list(renamed.values())
        for skops_own, mine in renamed.items():
            np.testing.assert_array_equal(
                np.load(io.BytesIO(ours.read(mine)), allow_pickle=False), np.load(io.BytesIO(theirs.read(skops_own)), allow_pickle=False)
            )


def test_same_inputs_give_identical_bytes(pipelines: dict[str, Any], tmp_path: Path) -> None:
    first = _write(pipelines["RandomForestClassifier"], tmp_path / "a")
    second = _write(pipelines["RandomForestClassifier"], tmp_path / "b")
    refitted = _write(_fitted("RandomForestClassifier"), tmp_path / "c")  # new objects, new memory addresses
    assert first == second == refitted
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()
    assert _write(pipelines["RandomForestClassifier"], tmp_path / "d", plan_digest="sha256:" + "cd" * 32) != first


def test_another_process_writes_the_same_bytes(pipelines: dict[str, Any], tmp_path: Path) -> None:
    """Memory addresses, the clock and string hashing differ between processes; the package must not."""
    script = (
        "import importlib.util, json, sys; from pathlib import Path\n"
        f"spec = importlib.util.spec_from_file_location('helpers', {str(Path(__file__))!r})\n"
        "helpers = importlib.util.module_from_spec(spec); spec.loader.exec_module(helpers)\n"
        "digests = helpers._write(helpers._fitted('HistGradientBoostingClassifier'), Path(sys.argv[1]))\n"
        "print(json.dumps(digests))\n"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "other")], capture_output=True, text=True, env=environment, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == _write(pipelines["HistGradientBoostingClassifier"], tmp_path / "here")


def test_rewriting_replaces_the_package_whole(pipelines: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "package"
    _write(pipelines["LogisticRegression"], target)
    (target / "stale.txt").write_text("from an earlier run")
    digests = _write(pipelines["DecisionTreeClassifier"], target)
    assert sorted(p.name for p in target.iterdir()) == sorted(digests)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["package"]


def test_a_failed_write_leaves_the_previous_package(pipelines: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "package"
    before = _write(pipelines["LogisticRegression"], target)
    calls = []

    def open_until_the_disk_fills(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return open(path, mode, *args, **kwargs)

    # The package module's name `open`, found before the builtin: the third file cannot be written.
    monkeypatch.setattr(package_module, "open", open_until_the_disk_fills, raising=False)
    with pytest.raises(OSError, match="No space"):
        _write(pipelines["DecisionTreeClassifier"], target)
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["package"]


def test_mlmodel_is_mlflow_yaml_with_the_python_function_flavor(pipelines: dict[str, Any], tmp_path: Path) -> None:
    _write(pipelines["HistGradientBoostingClassifier"], tmp_path / "package")
    mlmodel = yaml.safe_load((tmp_path / "package" / "MLmodel").read_text())
    flavor = mlmodel["flavors"]["python_function"]
    assert flavor["loader_module"] == "assay.run.pyfunc"
    assert flavor["data"] == "model.skops"
    assert flavor["env"]["virtualenv"] == "python_env.yaml"
    assert flavor["python_version"].count(".") == 2
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    assert mlmodel["model_uuid"] == uuid.uuid5(uuid.NAMESPACE_URL, f"urn:assay:model-package:{DIGEST}").hex
    assert "utc_time_created" not in mlmodel
    inputs = json.loads(mlmodel["signature"]["inputs"])
    assert inputs[0] == {"type": "double", "name": "income", "required": True}
    assert [c["type"] for c in inputs] == ["double", "double", "string", "string"]
    assert json.loads(mlmodel["signature"]["outputs"]) == [{"type": "double", "name": "probability", "required": True}]
    requirements = (tmp_path / "package" / "requirements.txt").read_text().splitlines()
    assert requirements == sorted(requirements, key=str.lower)
    assert "scikit-learn==1.9.1" in requirements and any(line.startswith("assay==") for line in requirements)
    assert yaml.safe_load((tmp_path / "package" / "python_env.yaml").read_text())["dependencies"] == ["-r requirements.txt"]


def test_boolean_columns_and_bad_inputs(pipelines: dict[str, Any], tmp_path: Path) -> None:
    columns = [*COLUMNS[:3], {"name": "channel", "type": "boolean"}]
    _write(pipelines["LogisticRegression"], tmp_path / "ok", input_columns=columns)
    inputs = json.loads(yaml.safe_load((tmp_path / "ok" / "MLmodel").read_text())["signature"]["inputs"])
    assert inputs[-1]["type"] == "boolean"
    with pytest.raises(ModelPackageError, match="type 'text'"):
        _write(pipelines["LogisticRegression"], tmp_path / "bad", input_columns=[{"name": "x", "type": "text"}])
    with pytest.raises(ModelPackageError, match="exact version"):
        _write(pipelines["LogisticRegression"], tmp_path / "bad", requirements={"numpy": ">=2"})
    assert not (tmp_path / "bad").exists()


CONSTRUCTED: list[str] = []


class Tripwire(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Records any attempt to rebuild it: loading must refuse it before that."""

    def fit(self, X: Any, y: Any = None) -> Tripwire:
        return self

    def transform(self, X: Any) -> Any:
        return X

    def __setstate__(self, state: dict[str, Any]) -> None:
        CONSTRUCTED.append("Tripwire")
        self.__dict__.update(state)


def _untrusted_objects() -> dict[str, Any]:
    X, y = np.random.default_rng(0).normal(size=(60, 2)), np.arange(60) % 2
    return {
        "svc": Pipeline([("scale", StandardScaler()), ("model", SVC())]).fit(X, y),
        "ordered-dict": collections.OrderedDict(model=LogisticRegression().fit(X, y)),
        "function": Pipeline([("log", FunctionTransformer(np.log1p)), ("model", LogisticRegression())]).fit(np.abs(X), y),
        "tripwire": Pipeline([("trip", Tripwire()), ("model", LogisticRegression())]).fit(X, y),
    }


@pytest.mark.parametrize(
    ("case", "refused"),
    [
        ("svc", "sklearn.svm._classes.SVC"),
        ("ordered-dict", "collections.OrderedDict"),
        ("function", "numpy.log1p"),
        ("tripwire", "Tripwire"),
    ],
)
def test_types_outside_the_allowlist_are_refused_before_anything_runs(
    case: str, refused: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "model.skops").write_bytes(skops.io.dumps(_untrusted_objects()[case]))
    CONSTRUCTED.clear()

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("skops constructed objects from an untrusted file")

    monkeypatch.setattr(skops.io, "loads", never)
    monkeypatch.setattr(skops.io, "load", never)
    with pytest.raises(UntrustedModelError) as raised:
        load_model_package(package)
    assert any(refused in name for name in raised.value.types)
    assert refused in str(raised.value)
    assert CONSTRUCTED == []


def test_writing_an_untrusted_pipeline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UntrustedModelError, match="SVC"):
        _write(_untrusted_objects()["svc"], tmp_path / "package")
    assert list(tmp_path.iterdir()) == []


def test_an_explicit_allowlist_and_digest_are_enforced(pipelines: dict[str, Any], tmp_path: Path) -> None:
    digests = _write(pipelines["LogisticRegression"], tmp_path / "package")
    load_model_package(tmp_path / "package", expected_sha256=digests["model.skops"])
    with pytest.raises(ModelPackageError, match="sha256"):
        load_model_package(tmp_path / "package", expected_sha256="0" * 64)
    narrower = [t for t in TRUSTED_TYPES if not t.startswith("sklearn.linear_model")]
    with pytest.raises(UntrustedModelError, match="LogisticRegression"):
        load_model_package(tmp_path / "package", trusted=narrower)
    (tmp_path / "broken.skops").write_bytes(b"not a zip file")
    with pytest.raises(ModelPackageError, match="not a readable skops file"):
        load_model_package(tmp_path / "broken.skops")


def test_mlflow_pyfunc_serves_the_package(pipelines: dict[str, Any], tmp_path: Path) -> None:
    try:
        import mlflow.pyfunc
        import mlflow.sklearn
    except ImportError:
        pytest.skip("mlflow is not installed (a test-only dependency: pip install mlflow)")
    frame, _ = _frame()
    _write(pipelines["GradientBoostingClassifier"], tmp_path / "package")
    model = mlflow.pyfunc.load_model(str(tmp_path / "package"))
    predicted = model.predict(frame)
    np.testing.assert_array_equal(np.asarray(predicted), pipelines["GradientBoostingClassifier"].predict_proba(frame)[:, 1])
    assert model.metadata.get_input_schema().input_names() == [c["name"] for c in COLUMNS]
    with pytest.raises(Exception, match="skops"):  # MLflow's sklearn flavor must refuse, never unpickle
        mlflow.sklearn.load_model(str(tmp_path / "package"))


def test_the_pyfunc_loader_predicts_event_probabilities(pipelines: dict[str, Any], tmp_path: Path) -> None:
    from assay.run.pyfunc import _load_pyfunc

    frame, _ = _frame()
    _write(pipelines["ExtraTreesClassifier"], tmp_path / "package")
    predicted = _load_pyfunc(str(tmp_path / "package" / "model.skops")).predict(frame)
    assert predicted.name == "probability" and predicted.index.equals(frame.index)
    np.testing.assert_array_equal(predicted.to_numpy(), pipelines["ExtraTreesClassifier"].predict_proba(frame)[:, 1])


def test_padding_bytes_of_structured_arrays_are_zeroed_under_the_same_header() -> None:
    from assay.run.model_file import _zero_padding

    padded = np.dtype({"names": ["a", "b"], "formats": ["<u1", "<f8"], "offsets": [0, 8], "itemsize": 16})
    array = np.zeros(3, dtype=padded)
    array["a"], array["b"] = [1, 2, 3], [0.5, 1.5, 2.5]
    raw = bytearray(array.tobytes())
    for record in range(3):
        raw[record * 16 + 1 : record * 16 + 8] = b"\xff" * 7  # what memory held between the fields
    dirty = np.frombuffer(bytes(raw), dtype=padded)
    saved, clean = io.BytesIO(), io.BytesIO()
    np.save(saved, dirty, allow_pickle=False)
    np.save(clean, array, allow_pickle=False)
    assert saved.getvalue() != clean.getvalue()
    assert _zero_padding(saved.getvalue()) == clean.getvalue()
    plain = io.BytesIO()
    np.save(plain, np.arange(4.0), allow_pickle=False)
    assert _zero_padding(plain.getvalue()) == plain.getvalue()
