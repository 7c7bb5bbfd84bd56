"""The model package: an MLflow model directory holding the fitted pipeline's skops file.

`write_model_package` writes `MLmodel`, `model.skops`, `requirements.txt`,
`python_env.yaml`, `conda.yaml` and `README.md`, byte for byte the same for the
same model file and inputs (no clock), and swaps the folder into place whole. The
model file is the one fit wrote (`assay.run.model_file.model_bytes`), taken as
bytes: the model is serialised once per run. `load_model_package` refuses any
file naming a type outside `TRUSTED_TYPES` before skops constructs anything. Serving goes through MLflow's
`python_function` flavor (loader `assay.run.pyfunc`): MLflow's own sklearn flavor
reads pickle only, so the `sklearn` entry in `MLmodel` is documentation.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import assay
from assay.run.model_file import TRUSTED_TYPES, ModelPackageError, UntrustedModelError, load_trusted_model, refuse_untrusted

# The model file's allowlist and loader are part of this module's face: the monitor and serving load packages here.
__all__ = [
    "MODEL_FILE",
    "TRUSTED_TYPES",
    "ModelPackageError",
    "UntrustedModelError",
    "load_model_package",
    "load_trusted_model",
    "package_files",
    "write_model_package",
]

MODEL_FILE = "model.skops"
SIGNATURE_TYPES = {"numeric": "double", "categorical": "string", "boolean": "boolean"}
_PACKAGE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_EXACT_VERSION = re.compile(r"^[0-9][A-Za-z0-9.+!_-]*$")


def write_model_package(
    model: bytes,
    out_dir: Path,
    *,
    model_name: str,
    version: str,
    plan_digest: str,
    input_columns: list[dict[str, str]],
    requirements: dict[str, str],
) -> dict[str, str]:
    """Write the package of the skops file `model` to `out_dir` (replacing it whole); return {file: sha256}, sorted.

    `input_columns` are {name, type: numeric|categorical|boolean}; `requirements`
    maps package -> exact version (assay itself is added, since it is the loader).
    """
    files = package_files(
        model,
        model_name=model_name,
        version=version,
        plan_digest=plan_digest,
        input_columns=input_columns,
        requirements=requirements,
    )
    _write_atomically(Path(out_dir), files)
    return {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}


def package_files(
    model: bytes, *, model_name: str, version: str, plan_digest: str, input_columns: list[dict[str, str]], requirements: dict[str, str]
) -> dict[str, bytes]:
    """The package's files by relative name, as bytes; a pure function of its arguments and the Python version."""
    pins = _pinned({"assay": assay.__version__, **requirements})
    python = ".".join(str(part) for part in sys.version_info[:3])
    refuse_untrusted(model, Path(MODEL_FILE))
    mlmodel = _mlmodel(model_name, version, plan_digest, python, input_columns, pins.get("scikit-learn"))
    requirement_lines = [f"{name}=={pin}" for name, pin in pins.items()]
    conda = {"channels": ["conda-forge"], "dependencies": [f"python={python}", "pip", {"pip": requirement_lines}], "name": "mlflow-env"}
    python_env = {"python": python, "build_dependencies": ["pip", "setuptools", "wheel"], "dependencies": ["-r requirements.txt"]}
    return {
        "MLmodel": (_MLMODEL_HEADER + _yaml(mlmodel)).encode(),
        MODEL_FILE: model,
        "README.md": _readme(model_name, version, plan_digest, input_columns).encode(),
        "conda.yaml": _yaml(conda).encode(),
        "python_env.yaml": _yaml(python_env).encode(),
        "requirements.txt": "".join(f"{line}\n" for line in requirement_lines).encode(),
    }


def _mlmodel(name: str, version: str, plan_digest: str, python: str, columns: list[dict[str, str]], sklearn: str | None) -> dict[str, Any]:
    """MLflow's MLmodel document: no clock, and a model_uuid derived from the plan digest."""
    inputs = json.dumps([_column_spec(column) for column in columns])
    return {
        "artifact_path": name,
        "flavors": {
            "python_function": {
                "data": MODEL_FILE,
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": "assay.run.pyfunc",
                "python_version": python,
            },
            "sklearn": {"code": None, "pickled_model": MODEL_FILE, "serialization_format": "skops", "sklearn_version": sklearn},
        },
        "metadata": {"assay_model": name, "assay_model_version": version, "assay_plan_digest": plan_digest},
        "model_uuid": uuid.uuid5(uuid.NAMESPACE_URL, f"urn:assay:model-package:{plan_digest}").hex,
        "signature": {"inputs": inputs, "outputs": _OUTPUTS, "params": None},
    }


_OUTPUTS = json.dumps([{"type": "double", "name": "probability", "required": True}])
_MLMODEL_HEADER = (
    "# assay model package. Serve it through the python_function flavor (loader assay.run.pyfunc).\n"
    "# The sklearn entry only documents the skops file: MLflow's sklearn loader reads pickle or\n"
    "# cloudpickle and refuses serialization_format skops, so it never unpickles this model.\n"
)


def _yaml(document: Mapping[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(dict(document), sort_keys=True, default_flow_style=False, allow_unicode=True)


def _column_spec(column: Mapping[str, str]) -> dict[str, Any]:
    kind = column.get("type")
    if kind not in SIGNATURE_TYPES:
        raise ModelPackageError(f"input column {column.get('name')!r} has type {kind!r}; expected one of {', '.join(SIGNATURE_TYPES)}")
    return {"type": SIGNATURE_TYPES[kind], "name": column["name"], "required": True}


def _pinned(requirements: Mapping[str, str]) -> dict[str, str]:
    for name, pin in requirements.items():
        if not _PACKAGE_NAME.match(name) or not _EXACT_VERSION.match(str(pin)):
            raise ModelPackageError(f"requirement {name}=={pin} is not a package name with an exact version")
    return {name: str(requirements[name]) for name in sorted(requirements, key=str.lower)}


def _write_atomically(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Write into a temp folder beside `out_dir`, then rename it into place; never a half package."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        for name, content in files.items():
            with open(staging / name, "xb") as handle:  # not fsynced, like every run output: a resumed run rehashes them
                handle.write(content)
        staging.chmod(0o755)
        _swap_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists() and not out_dir.is_symlink():
        staging.rename(out_dir)
        return
    retired = staging.with_name(staging.name + ".old")
    out_dir.rename(retired)
    try:
        staging.rename(out_dir)
    except BaseException:
        retired.rename(out_dir)
        raise
    if retired.is_dir() and not retired.is_symlink():
        shutil.rmtree(retired, ignore_errors=True)
    else:
        retired.unlink()


def load_model_package(path: Path, *, trusted: Sequence[str] | None = None, expected_sha256: str | None = None) -> Any:
    """The fitted pipeline of the package at `path` (its folder, or its model.skops)."""
    path = Path(path)
    return load_trusted_model(path / MODEL_FILE if path.is_dir() else path, trusted=trusted, expected_sha256=expected_sha256)


def _readme(model_name: str, version: str, plan_digest: str, input_columns: list[dict[str, str]]) -> str:
    columns = "".join(f"| `{c['name']}` | {c['type']} | {SIGNATURE_TYPES[c['type']]} |\n" for c in input_columns)
    return f"""# {model_name} {version}: assay model package

Built by assay from plan `{plan_digest}`. An MLflow model directory; the fitted
scikit-learn pipeline is in `{MODEL_FILE}` (skops format, no pickle).
`predict` takes a pandas DataFrame with the columns below and returns the event
probability per row (`predict_proba[:, 1]`).

| column | assay type | MLflow type |
|---|---|---|
{columns}
## Load and serve

- MLflow: `mlflow.pyfunc.load_model("<this folder>").predict(frame)`, or
  `mlflow models serve -m <this folder> --env-manager virtualenv`.
- MLServer: `implementation: mlserver_mlflow.MLflowRuntime`, `uri` pointing here.
- SageMaker and Azure ML: deploy as an MLflow model; both use the
  `python_function` flavor and its environment (`python_env.yaml`, `conda.yaml`).
- Python: `assay.run.package.load_model_package(path)` returns the pipeline.

The loader module is `assay.run.pyfunc`, so the serving environment needs assay
(pinned in `requirements.txt`); install it from your internal index. The `sklearn`
flavor entry only documents the file: MLflow's sklearn loader reads pickle and
refuses skops. Never load `{MODEL_FILE}` with `trusted=True`: assay checks every
type it names against an allowlist before anything is constructed. Check the
files' sha256 against the signed evidence (`assay verify`) before deploying.
"""
