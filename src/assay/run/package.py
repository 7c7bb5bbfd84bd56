"""The model package: an MLflow model directory holding the fitted pipeline as skops, and the model card.

`write_model_package` writes `MLmodel`, `model.skops`, `requirements.txt`,
`python_env.yaml`, `conda.yaml` and `README.md`, byte for byte the same for the
same pipeline and inputs (no clock, no memory addresses), and swaps the folder
into place whole. `load_model_package` refuses any file naming a type outside
`TRUSTED_TYPES` before skops constructs anything. Serving goes through MLflow's
`python_function` flavor (loader `assay.run.pyfunc`): MLflow's own sklearn flavor
reads pickle only, so the `sklearn` entry in `MLmodel` is documentation.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import assay

MODEL_FILE = "model.skops"
# Every type the pipelines of assay's six allowlisted estimators put in a skops file
# (scikit-learn 1.9, numpy 2, skops 0.16); tests/run/test_package.py re-derives it.
# Tree and TreePredictor hold raw node indices that scikit-learn does not bounds-check:
# load only packages whose digest the evidence vouches for (expected_sha256).
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.slice",
    "builtins.str",
    "builtins.tuple",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "numpy.random._generator.Generator",
    "numpy.random.mtrand.RandomState",
    "numpy.uint64",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.dummy.DummyClassifier",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._gb.GradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.RobustScaler",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._tree.Tree",
)
# The skops node kinds those files use; any other kind (methods, functions, operators) is refused too.
TRUSTED_NODES = frozenset(
    {"CachedNode", "DTypeNode", "DictNode", "JsonNode", "ListNode", "LossNode", "NdArrayNode", "ObjectNode"}
    | {"RandomGeneratorNode", "RandomStateNode", "SliceNode", "TreeNode", "TupleNode", "TypeNode"}
)
SIGNATURE_TYPES = {"numeric": "double", "categorical": "string", "boolean": "boolean"}
_PACKAGE_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_EXACT_VERSION = re.compile(r"^[0-9][A-Za-z0-9.+!_-]*$")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class ModelPackageError(Exception):
    """A model package that cannot be written or read."""


class UntrustedModelError(ModelPackageError):
    """A model file naming types outside the allowlist; nothing in it was constructed."""

    def __init__(self, path: Path, types: Sequence[str]) -> None:
        super().__init__(f"{path}: refused, it names types outside the trusted allowlist: {', '.join(types)}")
        self.path = path
        self.types = list(types)


def write_model_package(
    pipeline: Any,
    out_dir: Path,
    *,
    model_name: str,
    version: str,
    plan_digest: str,
    input_columns: list[dict[str, str]],
    requirements: dict[str, str],
) -> dict[str, str]:
    """Write the package to `out_dir` (replacing it whole) and return {file: sha256}, sorted.

    `input_columns` are {name, type: numeric|categorical|boolean}; `requirements`
    maps package -> exact version (assay itself is added, since it is the loader).
    """
    files = package_files(
        pipeline,
        model_name=model_name,
        version=version,
        plan_digest=plan_digest,
        input_columns=input_columns,
        requirements=requirements,
    )
    _write_atomically(Path(out_dir), files)
    return {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}


def package_files(
    pipeline: Any, *, model_name: str, version: str, plan_digest: str, input_columns: list[dict[str, str]], requirements: dict[str, str]
) -> dict[str, bytes]:
    """The package's files by relative name, as bytes; a pure function of its arguments and the Python version."""
    pins = _pinned({"assay": assay.__version__, **requirements})
    python = ".".join(str(part) for part in sys.version_info[:3])
    model = canonical_skops(pipeline)
    refused = sorted(named_types(model) - set(TRUSTED_TYPES))
    if refused:
        raise UntrustedModelError(Path(MODEL_FILE), refused)
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


def canonical_skops(pipeline: Any) -> bytes:
    """`skops.io.dumps`, made reproducible: ids renumbered in schema order, fixed zip timestamps and order.

    skops names objects and array files by their memory address and stamps zip
    entries with the clock; renumbering keeps every shared reference shared.
    """
    import skops.io

    with zipfile.ZipFile(io.BytesIO(skops.io.dumps(pipeline))) as source:
        schema = json.loads(source.read("schema.json"))
        ids: dict[int, int] = {}
        files: dict[str, str] = {}
        for node in _state_nodes(schema):
            if isinstance(node.get("__id__"), int):
                node["__id__"] = ids.setdefault(node["__id__"], len(ids) + 1)  # 0 would disable skops' memo
            if isinstance(node.get("file"), str):
                old = node["file"]
                node["file"] = files.setdefault(old, f"{len(files) + 1}{Path(old).suffix}")
        members = {new: source.read(old) for old, new in files.items()}
    members["schema.json"] = json.dumps(schema, indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as target:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.create_system, info.external_attr = 3, 0o644 << 16
            target.writestr(info, members[name])
    return buffer.getvalue()


def _state_nodes(schema: Any) -> list[dict[str, Any]]:
    """Every skops state dict (one with a `__loader__`) in document order, without recursion."""
    found: list[dict[str, Any]] = []
    stack: list[Any] = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                found.append(item)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def _write_atomically(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Write into a temp folder beside `out_dir`, then rename it into place; never a half package."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        for name, content in files.items():
            with open(staging / name, "xb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
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


def load_trusted_model(model_file: Path, *, trusted: Sequence[str] | None = None, expected_sha256: str | None = None) -> Any:
    """A skops file loaded only if every type it names is in `trusted` (default TRUSTED_TYPES).

    Types are read from the file's schema as data and checked before skops
    constructs anything; `expected_sha256`, when given, is checked first.
    """
    import skops.io

    content = Path(model_file).read_bytes()
    if expected_sha256 is not None and hashlib.sha256(content).hexdigest() != expected_sha256:
        raise ModelPackageError(f"{model_file}: sha256 is not the expected {expected_sha256}")
    allowed = frozenset(TRUSTED_TYPES if trusted is None else trusted)
    try:
        _refuse(model_file, named_types(content) - allowed)  # from the schema as plain JSON, before skops parses it
        flagged = set(skops.io.get_untrusted_types(data=content))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, RecursionError) as error:
        raise ModelPackageError(f"{model_file}: not a readable skops file ({error})") from error
    _refuse(model_file, flagged - allowed)
    return skops.io.loads(content, trusted=sorted(flagged))


def _refuse(model_file: Path, types: set[str]) -> None:
    if types:
        raise UntrustedModelError(Path(model_file), sorted(types))


def named_types(content: bytes) -> set[str]:
    """Every `module.Class` a skops file names, plus `node:Kind` for node kinds outside TRUSTED_NODES."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        schema = json.loads(archive.read("schema.json"))
    named: set[str] = set()
    for node in _state_nodes(schema):
        named.add(f"{node.get('__module__')}.{node.get('__class__')}")
        if node["__loader__"] not in TRUSTED_NODES:
            named.add(f"node:{node['__loader__']}")
    return named


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


def render_model_card(context: Mapping[str, Any], *, top_features: int = 10) -> str:
    """The model card (Markdown) for a run, from the sandboxed `templates/model-card.md.j2`.

    The context: {"spec": the ModelSpec dict, "plan_digest": str, "metrics":
    {dataset: {metric: value, ...}} (test, outOfTime), "gates": [{metric, dataset,
    min, max, value, passed}], "fairness": report | None, "explanations": report |
    None}. Fairness: {verdict, attributes: [{name, reference (str or {group}),
    verdict, groups: [{group, size (int|str|None), sizeBucket?, status, metrics}]}]}
    where metrics is {name: {value, ci: [lo, hi], verdict}} or [{metric, value,
    confidenceInterval: {lower, upper}, verdict}]. Explanations: {globalImportance:
    [{feature, importance}], principalReasons: {declined, reasons: [{reason, share,
    firstShare}]}}. Optional parts may be missing; a missing required field (spec
    metadata, documentation.purpose, plan_digest, metrics, gates) raises
    ModelPackageError naming it, as does any other template error.
    """
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    environment = ImmutableSandboxedEnvironment(
        loader=jinja2.PackageLoader("assay.run", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(md=markdown_cell, num=_number, pct=_percent)
    values = {"fairness": None, "explanations": None, **context, "top_features": top_features}
    if isinstance(context.get("metrics"), Mapping):
        values["metric_names"] = _scalar_metric_names(context["metrics"])
    try:
        return environment.get_template("model-card.md.j2").render(values)
    except (jinja2.TemplateError, LookupError, TypeError, ValueError) as error:
        raise ModelPackageError(f"model card: {error}") from error


def _scalar_metric_names(metrics: Mapping[str, Any]) -> list[str]:
    """Metrics that are numbers (or undefined) in every dataset, in first-seen order; tables stay in metrics.json."""
    names: dict[str, None] = {}
    for values in metrics.values():
        names.update(dict.fromkeys(values))
    scalar = (int, float, type(None))
    return [n for n in names if all(isinstance(v.get(n), scalar) and not isinstance(v.get(n), bool) for v in metrics.values())]


def markdown_cell(value: Any) -> str:
    """Text safe inside a Markdown table cell or list item: one line, `|`, `\\` and `<` escaped."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return markdown_cell(value)


def _percent(value: Any) -> str:
    return f"{100.0 * value:.1f}%" if isinstance(value, int | float) and not isinstance(value, bool) else _number(value)
