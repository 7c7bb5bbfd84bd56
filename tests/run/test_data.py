"""Reading data files: a CSV divided into records as pandas reads it, whatever its blank lines and line ends."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from assay.run.data import parse_table, select_rows

CSVS = [
    b"a,b\n1,x\n2,y\n",
    b"a,b\n1,x\n2,y",  # no final newline
    b"\na,b\n1,x\n\n2,y\n\n",  # blank lines first, between and last
    b"\r\na,b\r\n1,x\r\n\r\n2,y\r\n",  # Windows line ends, a blank one first and between
    b"a,b\n1,x\n\r\n2,y\r",  # a blank line of its own \r, and a last line ending in \r
    b'a,b\n1,"x\n\ny"\n2,y\n',  # a quoted field holding a blank line: not a blank record
    b"a,b\r\n1,x\r\n2,y\r\n",
]


@pytest.mark.parametrize("content", CSVS)
def test_records_are_the_rows_pandas_reads(content: bytes) -> None:
    frame = pd.read_csv(io.BytesIO(content), dtype={"b": object})
    rows = len(frame)
    (everything, reversed_rows) = select_rows(content, "csv", [list(range(rows)), list(range(rows))[::-1]], rows)
    pd.testing.assert_frame_equal(parse_table(everything, "csv", ["b"]), frame)
    pd.testing.assert_frame_equal(parse_table(reversed_rows, "csv", ["b"]), frame.iloc[::-1].reset_index(drop=True))
