"""Loading data: confined paths, sha256 verified on the very bytes that are parsed.

The file is read once into memory, hashed, and only then parsed, so the data a
model is fitted on is exactly the data whose digest the spec pins and the
evidence records. A mismatch stops the run before anything is fitted.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import operator
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_DATA_BYTES = 2 * 1024**3


class DataError(Exception):
    """Data that cannot be used: outside the allowed roots, missing, or not the pinned bytes."""


def resolve_data_path(root: Path, uri: str, data_roots: Sequence[str]) -> Path:
    """The file `uri` names, which must lie inside the repository or an allowlisted root."""
    if "://" in uri and not uri.startswith("file://"):
        raise DataError(f"data uri '{uri}': only repository paths and allowlisted local roots are supported")
    relative = uri.removeprefix("file://")
    candidate = Path(relative) if os.path.isabs(relative) else root / relative
    real = Path(os.path.realpath(candidate))
    allowed = [Path(os.path.realpath(root)), *(Path(os.path.realpath(r)) for r in data_roots)]
    if not any(real == base or base in real.parents for base in allowed):
        raise DataError(f"data uri '{uri}' resolves to {real}, outside the repository and the allowlisted dataRoots")
    return real


def read_hashed(path: Path) -> tuple[bytes, str]:
    """The file's bytes and their sha256, refusing a file over the size limit before reading it."""
    try:
        size = path.stat().st_size
        if size > MAX_DATA_BYTES:
            raise DataError(f"{path} is {size:,} bytes, over the {MAX_DATA_BYTES:,}-byte limit")
        content = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from error
    return content, hashlib.sha256(content).hexdigest()


def check_pinned(path: Path, actual_sha256: str, expected_sha256: str) -> None:
    """DataError unless the bytes read from `path` hash to the digest the spec pins."""
    if actual_sha256 != expected_sha256:
        raise DataError(f"{path}: sha256 is {actual_sha256}, but the spec pins {expected_sha256}; the data changed, nothing was fitted")


def parse_table(content: bytes, data_format: str, categorical: Sequence[str], numeric: Sequence[str] = ()) -> Any:
    """A pandas DataFrame from CSV or Parquet bytes; categorical columns read as text, numeric ones as float64.

    A CSV's `numeric` columns are read as float64 when every value converts, so a
    column's type never depends on which rows a file holds (a split's rows parse to
    the very values they have in the whole file); otherwise the file is read with
    pandas' inference, and data validation names the column that is not numeric.
    """
    import pandas as pd

    # Categorical columns become plain Python strings with NaN for missing, the form
    # scikit-learn's imputers and encoders accept (pandas' NA is not).
    if data_format == "csv":
        text = dict.fromkeys(categorical, object)
        if numeric:
            try:
                return pd.read_csv(io.BytesIO(content), dtype={**dict.fromkeys(numeric, "float64"), **text}, keep_default_na=True)
            except (ValueError, TypeError):
                pass  # a value that is not a number: read as pandas infers, for validation to report
        return pd.read_csv(io.BytesIO(content), dtype=text, keep_default_na=True)
    if data_format == "parquet":
        frame = pd.read_parquet(io.BytesIO(content))
        for column in categorical:
            if column in frame:
                values = frame[column].astype(object)
                frame[column] = values.where(values.notna(), float("nan")).map(lambda v: v if isinstance(v, float) else str(v))
        return frame
    raise DataError(f"unsupported data format '{data_format}'")


def select_rows(content: bytes, data_format: str, selections: Sequence[Sequence[int]], rows: int) -> list[bytes]:
    """For each list of positions in `selections`, those rows of the table (which parses to `rows` rows), as a table of the same format.

    A CSV keeps its header and the selected records byte for byte, so the rows a
    step reads are exactly lines of the pinned file; Parquet is rewritten with the
    same schema. Parsing a result gives those rows, in that order. The table is
    split into records once for all selections.
    """
    if data_format == "csv":
        header, records = _csv_records(content)
        if len(records) != rows:
            raise DataError(f"the CSV has {len(records)} records but parses to {rows} rows; its rows cannot be selected verbatim")
        return [b"\n".join([header, *_pick(records, positions)]) + b"\n" for positions in selections]
    if data_format == "parquet":
        # pyarrow ships no type information; imported as a module object, typed Any.
        pa = importlib.import_module("pyarrow")
        pq = importlib.import_module("pyarrow.parquet")
        table = pq.read_table(io.BytesIO(content))
        selected = []
        for positions in selections:
            buffer = io.BytesIO()
            pq.write_table(table.take(pa.array(positions, type=pa.int64())), buffer)
            selected.append(buffer.getvalue())
        return selected
    raise DataError(f"unsupported data format '{data_format}'")


def _pick(records: list[bytes], positions: Sequence[int]) -> list[bytes]:
    if len(positions) < 2:
        return [records[i] for i in positions]
    return list(operator.itemgetter(*positions)(records))


def _csv_records(content: bytes) -> tuple[bytes, list[bytes]]:
    """(header, data records) of CSV bytes: a record ends at a newline outside quotes; blank lines are skipped as pandas does."""
    lines = content.split(b"\n")
    if b'"' in content:
        lines = _join_quoted(lines)
    if content.endswith(b"\n"):
        lines.pop()  # the empty string after the final newline
    blank = b"" in lines or b"\r" in lines  # a blank line is an empty record (a list scan: no second pass over the bytes)
    records = [line for line in lines if line.strip(b"\r")] if blank else lines
    if not records:
        raise DataError("the CSV has no header")
    return records[0], records[1:]


def _join_quoted(lines: list[bytes]) -> list[bytes]:
    """Lines joined into records where a quoted field spans newlines (an odd count of quotes leaves a field open)."""
    records: list[bytes] = []
    pending: list[bytes] = []
    quotes = 0
    for line in lines:
        pending.append(line)
        quotes += line.count(b'"')
        if quotes % 2 == 0:
            records.append(b"\n".join(pending))
            pending, quotes = [], 0
    if pending:
        raise DataError("the CSV ends inside a quoted field")
    return records
