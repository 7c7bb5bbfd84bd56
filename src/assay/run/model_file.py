"""The fitted pipeline as a skops file: reproducible bytes, and loading behind a type allowlist.

`model_bytes` serialises once, in memory, and gives the same bytes for the same
model (no memory addresses, no clock, no stray padding bytes). `load_trusted_model`
refuses any file naming a type outside `TRUSTED_TYPES` before skops constructs
anything.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class ModelPackageError(Exception):
    """A model package that cannot be written or read."""


class UntrustedModelError(ModelPackageError):
    """A model file naming types outside the allowlist; nothing in it was constructed."""

    def __init__(self, path: Path, types: Sequence[str]) -> None:
        super().__init__(f"{path}: refused, it names types outside the trusted allowlist: {', '.join(types)}")
        self.path = path
        self.types = list(types)


class _Members:
    """What skops' SaveContext writes array files to: a dict (a zip file would be written, then read back)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def namelist(self) -> dict[str, bytes]:  # skops only tests membership; a dict makes that O(1)
        return self.files

    def writestr(self, name: str, data: Any) -> None:
        self.files[name] = bytes(data)


def model_bytes(pipeline: Any) -> bytes:
    """The skops file of `pipeline`, reproducibly: the same model always gives the same bytes.

    skops names objects and array files by their memory address, stamps zip entries
    with the clock and writes its schema with the pure-Python JSON encoder
    (`indent=2`). Here the state is taken once with skops' own `get_state` (what
    `skops.io.dumps` does), ids and files are renumbered in schema order (shared
    references stay shared), structured arrays get zero padding, and the schema is
    written compactly into a zip with fixed timestamps and order. skops reads it
    like any file of its own (tests/run/test_package.py compares the two schemas).
    """
    import skops
    from skops.io._utils import SaveContext, get_state

    members = _Members()
    context = SaveContext(zip_file=members)  # duck-typed: skops calls only namelist and writestr
    state = get_state(pipeline, context)
    context.clear_memo()
    state["protocol"] = context.protocol
    state["_skops_version"] = skops.__version__
    return _canonical_zip(state, members.files)


def _canonical_zip(schema: dict[str, Any], files: dict[str, bytes]) -> bytes:
    ids: dict[int, int] = {}
    names: dict[str, str] = {}
    for node in _state_nodes(schema):
        if isinstance(node.get("__id__"), int):
            node["__id__"] = ids.setdefault(node["__id__"], len(ids) + 1)  # 0 would disable skops' memo
        if isinstance(node.get("file"), str):
            old = node["file"]
            node["file"] = names.setdefault(old, f"{len(names) + 1}{Path(old).suffix}")
    members = {new: _zero_padding(files[old]) if new.endswith(".npy") else files[old] for old, new in names.items()}
    members["schema.json"] = json.dumps(schema, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as target:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.create_system, info.external_attr = 3, 0o644 << 16
            target.writestr(info, members[name])
    return buffer.getvalue()


def _zero_padding(member: bytes) -> bytes:
    """An .npy file's bytes, rewritten with zero padding when it holds a structured array with gaps between fields.

    scikit-learn's tree nodes are a C struct saved as a structured array whose 7
    padding bytes hold whatever memory held, so two dumps of the same trees (one
    fitted, one loaded) would differ there. Only the header's `descr` is read to
    decide: a plain dtype is written as a string there, a structured one as a list,
    and each distinct list is parsed once per process (a forest repeats one).
    """
    import numpy as np

    header = _header(member)
    descr = _descr_text(member[: header[0] + header[1]]) if header else None
    if descr is not None and not descr.startswith(b"["):
        return member
    dtype = _descr_dtype(descr) if descr is not None else _full_header_dtype(member)
    fields = dtype.fields
    if not fields or dtype.itemsize == sum(field_dtype.itemsize for field_dtype, *_ in fields.values()):
        return member
    if header and not dtype.hasobject and (len(member) - sum(header)) % dtype.itemsize == 0:
        # The same header, the records' bytes with every padding byte set to zero.
        records = np.frombuffer(member, dtype=np.uint8, offset=sum(header)).reshape(-1, dtype.itemsize).copy()
        records[:, _padding_mask(dtype)] = 0
        return member[: sum(header)] + records.tobytes()
    array = np.load(io.BytesIO(member), allow_pickle=False)
    clean = np.zeros(array.shape, dtype=array.dtype)
    for name in array.dtype.names:
        clean[name] = array[name]
    buffer = io.BytesIO()
    np.save(buffer, clean, allow_pickle=False)
    return buffer.getvalue()


def _header(member: bytes) -> tuple[int, int] | None:
    """(where the header's text starts, its length) in an .npy file; None if the bytes are not one."""
    if member[:6] != b"\x93NUMPY" or len(member) < 12:
        return None
    if member[6] == 1:
        return 10, int.from_bytes(member[8:10], "little")
    return 12, int.from_bytes(member[8:12], "little")


def _descr_text(prefix: bytes) -> bytes | None:
    """The text of the `descr` value in an .npy header as numpy writes it ({'descr': ..., 'fortran_order': ...}); None if not found."""
    begin, end = prefix.find(b"{'descr': "), prefix.find(b", 'fortran_order': ")
    if begin < 0 or end < begin:
        return None
    return prefix[begin + len(b"{'descr': ") : end]


@functools.lru_cache(maxsize=64)
def _padding_mask(dtype: Any) -> Any:
    """True at each byte of one record of `dtype` that no field covers."""
    import numpy as np

    mask = np.ones(dtype.itemsize, dtype=bool)
    for field_dtype, offset, *_ in dtype.fields.values():
        mask[offset : offset + field_dtype.itemsize] = False
    return mask


@functools.lru_cache(maxsize=64)
def _descr_dtype(descr: bytes) -> Any:
    import ast

    import numpy as np

    return np.lib.format.descr_to_dtype(ast.literal_eval(descr.decode("latin-1")))


def _full_header_dtype(member: bytes) -> Any:
    import numpy as np

    stream = io.BytesIO(member)
    version = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read_header(stream)[2]


def _state_nodes(schema: Any) -> list[dict[str, Any]]:
    """Every skops state dict (one with a `__loader__`) in document order, each object once, without recursion.

    A state taken in memory may hold one dict at two places (JSON would write it twice):
    it is listed once, so renumbering it in place happens once. Tuples are JSON arrays.
    Only containers are pushed: a tree's thousands of numbers and strings are skipped.
    """
    found: list[dict[str, Any]] = []
    seen: set[int] = set()
    stack: list[Any] = [schema]
    containers = (dict, list, tuple)
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            if "__loader__" in item:
                found.append(item)
            children = [value for value in item.values() if isinstance(value, containers)]
        else:
            children = [value for value in item if isinstance(value, containers)]
        children.reverse()
        stack.extend(children)
    return found


def named_types(content: bytes) -> set[str]:
    """Every `module.Class` a skops file names, plus `node:Kind` for node kinds outside TRUSTED_NODES."""
    states: list[dict[str, Any]] = []

    def collect(node: dict[str, Any]) -> dict[str, Any]:
        if "__loader__" in node:
            states.append(node)
        return node

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        json.loads(archive.read("schema.json"), object_hook=collect)  # each state dict seen once, as it is parsed
    named: set[str] = set()
    for node in states:
        named.add(f"{node.get('__module__')}.{node.get('__class__')}")
        if node["__loader__"] not in TRUSTED_NODES:
            named.add(f"node:{node['__loader__']}")
    return named


def refuse_untrusted(content: bytes, path: Path, trusted: Sequence[str] | None = None) -> None:
    """UntrustedModelError when the skops file `content` names a type outside `trusted` (default TRUSTED_TYPES)."""
    refused = sorted(named_types(content) - frozenset(TRUSTED_TYPES if trusted is None else trusted))
    if refused:
        raise UntrustedModelError(path, refused)


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
        refuse_untrusted(content, Path(model_file), sorted(allowed))  # from the schema as plain JSON, before skops parses it
        flagged = set(skops.io.get_untrusted_types(data=content))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, RecursionError) as error:
        raise ModelPackageError(f"{model_file}: not a readable skops file ({error})") from error
    if flagged - allowed:
        raise UntrustedModelError(Path(model_file), sorted(flagged - allowed))
    return skops.io.loads(content, trusted=sorted(flagged))
