"""What `assay monitor` reads: the latest verified training run, its model from the store, and the batch.

The edge of monitoring. Nothing is used unless the evidence vouches for it: the
model's chain must verify (signatures, chain, every subject re-hashed, plan
recomputed), the baseline and metrics are re-hashed on the very bytes parsed, the
model package is loaded only with the sha256 the training record names, and the
training rows (for KS) only when the store object hashes to the digest the record
names. The batch is read from the repository or an allowlisted data root, as the
runner reads its data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.cli.errors import UserError
from assay.cli.evidence_support import plan_checker, trusted_history
from assay.evidence import TrustRoot
from assay.evidence.chain import artifacts_folder, records_folder
from assay.evidence.errors import EvidenceError
from assay.evidence.records import subject_digests
from assay.evidence.verify import STORE, VerifiedRecord, verify_model
from assay.load.tree import FileTree
from assay.monitor.report import BASELINE_FILE, MODEL_FILE, BaselineRun, Batch, Labels, Reference

METRICS_FILE = "reports/metrics.json"
TRAINING_ROWS = "split/train"  # the runner's byproduct: the training rows, byte for byte lines of the pinned data
SCORES_OF = {"split/test": "scores/test"}  # the byproduct holding the scores of the rows a baseline names
RUNS = ".assay/runs"
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class Refused(UserError):
    """The evidence cannot be trusted (it does not verify, or a file differs from its signed digest): exit 1."""

    exit_code = 1


@dataclass(frozen=True)
class TrainingRun:
    """The verified run monitoring compares with, and the digests of its byproducts (the training rows among them)."""

    run: BaselineRun
    byproducts: Mapping[str, str]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _signed_json(root: Path, path: str, digest: str, record: str) -> Any:
    """A published JSON report, parsed from bytes that hash to the digest its signed record names."""
    try:
        content = (root / path).read_bytes()
    except OSError as error:
        raise Refused(f"{path}, named by the signed record {record}, cannot be read ({error.strerror or error}): refused") from error
    if _sha256(content) != digest:
        raise Refused(
            f"{path} does not match the sha256 signed in {record} (it is {_sha256(content)[:16]}…, the record says {digest[:16]}…): "
            "it was changed after it was signed, so it cannot be trusted: refused"
        )
    return json.loads(content)


def _first_failure(model: str, failures: list[Any]) -> str:
    named = [f for f in failures if f.path.endswith(f"/{BASELINE_FILE}")]
    if named:
        return (
            f"{named[0].path}: the baseline does not match the sha256 signed in its training record ({named[0].message}); "
            "an unverified baseline cannot be monitored against: refused"
        )
    first = failures[0]
    return (
        f"the evidence of {model} does not verify ({len(failures)} failure(s); first: {first.path}: {first.message}); "
        f"run assay verify {model}: refused"
    )


def latest_training_run(root: Path, tree: FileTree, trust: TrustRoot, model: str) -> TrainingRun:
    """The latest training record of `model` whose chain verifies, with its baseline, metrics and spec."""
    if not tree.glob(f"{records_folder(model)}/*.dsse.json"):
        raise UserError(
            f"no evidence for model '{model}' ({records_folder(model)}/ is empty): record a run with assay run {model} --commit"
        )
    history, _ = trusted_history(root, "HEAD", trust, [model])
    report = verify_model(tree, model, trust, root / STORE, plan_checker(root), history)
    if report.failed:
        raise Refused(_first_failure(model, report.failed))
    runs = [r for r in report.records if r.kind == "provenance"]
    if not runs:
        raise UserError(f"the evidence of {model} holds no training record: record a run with assay run {model} --commit")
    return _training_run(root, runs[-1])


def _training_run(root: Path, record: VerifiedRecord) -> TrainingRun:
    try:
        subjects = subject_digests(record.statement)
    except EvidenceError as error:
        raise Refused(f"{record.path}: {error}") from error
    missing = [name for name in (BASELINE_FILE, METRICS_FILE, MODEL_FILE) if name not in subjects]
    if missing:
        raise UserError(f"the training record {record.path} names no {', '.join(missing)}: that run left no baseline to monitor against")
    published = artifacts_folder(record.model, record.plan_digest)
    baseline_path = f"{published}/{BASELINE_FILE}"
    predicate = record.statement["predicate"]
    plan = predicate["buildDefinition"]["externalParameters"]["plan"]
    spec = plan["spec"]
    byproducts = {str(d["name"]): str(d["digest"]["sha256"]) for d in predicate.get("runDetails", {}).get("byproducts", [])}
    run = BaselineRun(
        model=record.model,
        version=str(spec["metadata"]["version"]),
        plan_digest=record.plan_digest,
        record=record.path,
        baseline_path=baseline_path,
        baseline_sha256=subjects[BASELINE_FILE],
        package_sha256=subjects[MODEL_FILE],
        baseline=_signed_json(root, baseline_path, subjects[BASELINE_FILE], record.path),
        metrics=_signed_json(root, f"{published}/{METRICS_FILE}", subjects[METRICS_FILE], record.path),
        spec=spec,
    )
    return TrainingRun(run, byproducts)


def _store_path(root: Path, digest: str) -> Path:
    return root / STORE / digest[:2] / digest[2:]


def load_model(root: Path, run: BaselineRun) -> Any:
    """The fitted pipeline the training record names, from the store (or the run folder), by its signed sha256."""
    from assay.run.package import ModelPackageError, load_trusted_model

    digest = run.package_sha256
    for path in (_store_path(root, digest), root / RUNS / run.plan_digest / MODEL_FILE):
        if path.is_file():
            try:
                return load_trusted_model(path, expected_sha256=digest)
            except ModelPackageError as error:
                raise Refused(f"the model package does not match the training record {run.record}: {error}: refused") from error
    raise UserError(
        f"the model package of plan {run.plan_digest[:16]}… ({MODEL_FILE}, sha256 {digest[:16]}…) is not in the local store "
        f"{STORE}: rebuild it with assay run {run.model} at the commit of {run.record} (the same plan gives the same bytes)"
    )


def categorical_columns(spec: Mapping[str, Any]) -> list[str]:
    return [f["name"] for f in spec["data"]["features"] if f["type"] != "numeric"]


def feature_names(spec: Mapping[str, Any]) -> list[str]:
    return [f["name"] for f in spec["data"]["features"]]


def score(pipeline: Any, frame: Any, spec: Mapping[str, Any], what: str) -> Any:
    try:
        return pipeline.predict_proba(frame[feature_names(spec)])[:, 1]
    except (ValueError, TypeError) as error:
        raise UserError(f"{what}: the model cannot score these rows ({error})") from error


def load_reference(root: Path, training: TrainingRun, pipeline: Any) -> Reference | None:
    """The training rows and the scores the baseline was binned from (from the store, by signed digest); None when not stored.

    The score's rows are the ones the baseline names (`rows.score`): the held-out
    test rows, whose scores evaluate saved (decision 0008). A baseline without
    `rows` predates that and was binned from the training rows' scores, which are
    computed again here.
    """
    from assay.run.data import parse_table
    from assay.run.steps import numeric_features

    frame_bytes = _stored_byproduct(root, training, TRAINING_ROWS)
    if frame_bytes is None:
        return None
    spec = training.run.spec
    frame = parse_table(frame_bytes, spec["data"]["train"]["format"], categorical_columns(spec), numeric_features(spec))
    score_rows = training.run.baseline.get("rows", {}).get("score", TRAINING_ROWS)
    if score_rows == TRAINING_ROWS:
        return Reference(frame, score(pipeline, frame, spec, "training rows"))
    score_bytes = _stored_byproduct(root, training, SCORES_OF.get(score_rows, ""))
    return Reference(frame, None if score_bytes is None else _scores(score_bytes, training.run.record))


def _stored_byproduct(root: Path, training: TrainingRun, name: str) -> bytes | None:
    """The bytes of a run byproduct from the store, checked against the digest its signed record names; None when absent."""
    digest = training.byproducts.get(name)
    path = _store_path(root, digest) if digest else None
    if path is None or not path.is_file():
        return None
    content = path.read_bytes()
    if _sha256(content) != digest:
        raise Refused(f"store object {path} does not hash to its name ({name} of {training.run.record}): refused")
    return content


def _scores(content: bytes, record: str) -> Any:
    import io

    import numpy as np

    try:
        return np.load(io.BytesIO(content), allow_pickle=False)
    except (ValueError, OSError) as error:
        raise Refused(f"the held-out scores of {record} are not a numpy array ({error}): refused") from error


@dataclass(frozen=True)
class BatchFile:
    """The batch as read: its parsed rows and where it came from."""

    batch: Batch
    uri: str


def _uri(root: Path, real: Path) -> str:
    try:
        return real.relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(real)


def _window(frame: Any, spec: Mapping[str, Any]) -> tuple[str, str, str] | None:
    column = spec["data"].get("timeColumn")
    if not column or column not in frame:
        return None
    present = frame[column].dropna().astype(str)
    return (str(column), str(present.min()), str(present.max())) if len(present) else None


def load_batch(root: Path, data: Path, data_roots: tuple[str, ...], spec: Mapping[str, Any], pipeline: Any) -> BatchFile:
    """The batch file, confined to the repository and the allowlisted data roots, parsed and scored."""
    import pandas as pd

    from assay.run.data import MAX_DATA_BYTES, DataError, parse_table, resolve_data_path
    from assay.run.steps import numeric_features

    location = data if data.is_absolute() else Path.cwd() / data
    try:
        real = resolve_data_path(root, str(location), data_roots)
    except DataError as error:
        raise UserError(f"--data: {error}") from error
    data_format = FORMATS.get(real.suffix.lower())
    if data_format is None:
        raise UserError(f"--data {data}: not a .csv or .parquet file")
    try:
        if real.stat().st_size > MAX_DATA_BYTES:
            raise UserError(f"--data {data}: over the {MAX_DATA_BYTES:,}-byte limit")
        content = real.read_bytes()
    except OSError as error:
        raise UserError(f"--data {data}: cannot read it ({error.strerror or error})") from error
    try:
        frame = parse_table(content, data_format, categorical_columns(spec), numeric_features(spec))
    except (ValueError, DataError) as error:
        raise UserError(f"--data {data}: not a readable {data_format} table ({error})") from error
    absent = [name for name in feature_names(spec) if name not in frame.columns]
    if absent:
        raise UserError(f"--data {data}: the model's features {', '.join(absent)} are not columns of the batch")
    numeric = [f["name"] for f in spec["data"]["features"] if f["type"] == "numeric"]
    wrong = [name for name in numeric if not pd.api.types.is_numeric_dtype(frame[name])]
    if wrong:
        raise UserError(f"--data {data}: numeric features hold non-numeric values: {', '.join(wrong)}")
    batch = Batch(real.name, _sha256(content), data_format, frame, score(pipeline, frame, spec, f"--data {data}"), _window(frame, spec))
    return BatchFile(batch, _uri(root, real))


def batch_labels(batch: Batch, column: str, spec: Mapping[str, Any]) -> Labels:
    """The batch's outcomes in `column` (1 where it equals the spec's positive class); rows without one left out."""
    import numpy as np

    from assay.run.validate_data import target_vector

    if column not in batch.frame.columns:
        raise UserError(f"--labels {column}: not a column of the batch {batch.name}")
    present = batch.frame[column].notna().to_numpy()
    if not present.any():
        raise UserError(f"--labels {column}: every row of {batch.name} lacks a label")
    target = {"data": {"target": {**spec["data"]["target"], "name": column}}}
    values = target_vector(batch.frame[present], target)
    return Labels(column, np.asarray(values), np.asarray(batch.scores)[present], int((~present).sum()))
