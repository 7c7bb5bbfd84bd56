#!/usr/bin/env python3
"""Generate the production batches of the monitoring example (marketing-propensity).

Usage, from the repository root::

    python tools/generate_monitoring_batches.py          # (re)write both batches
    python tools/generate_monitoring_batches.py --check  # exit 1 if a batch on disk differs

Two monthly batches of scored prospects, each with its 60-day response
(``responded``), for ``assay monitor marketing-propensity --data BATCH
--labels responded``:

``models/marketing-propensity/monitoring/batch-2026-10.csv``
    The October 2026 campaign, drawn from the training population: the same
    generative process as ``models/marketing-propensity/data/train.csv``
    (``tools/generate_example_data.py``) with its own seed. Nothing drifts
    beyond sampling noise; monitoring exits 0.

``models/marketing-propensity/monitoring/batch-2026-11-shifted.csv``
    The November 2026 campaign after the prospect list was bought from a new
    vendor that extends the list to near-prime, lower-income consumers: every
    bureau score is 85 points lower than the training population's and every
    income estimate 55% lower (a factor 0.45). Nothing else about the
    population changes, and a prospect's response still follows the same
    function of the features (a covariate shift). The CSI of ``bureau_score``
    and ``estimated_income``, and the PSI of the score, cross the spec's alert
    level of 0.25; monitoring exits 1 and names those two features.

The process is ``marketing_rows`` of ``tools/generate_example_data.py``,
given the two shifts (its ``Population``); it uses that script's random primitives, so it depends on the standard library only and is
byte-for-byte reproducible in the same way. docs/monitoring.md describes the
scenario and the numbers monitoring reports.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from generate_example_data import MARKETING_COLUMNS, Population, Rng, Row, marketing_rows, write_or_check

ROOT = Path(__file__).resolve().parents[1]


def batch_rows(rng: Rng, n: int, start: dt.date, end: dt.date, population: Population) -> Iterator[Row]:
    """Marketing prospects as in the training window, with `population`'s shifts; the response follows the features."""
    return marketing_rows(rng, n, start, end, oot=False, population=population)


D = dt.date
FOLDER = "models/marketing-propensity/monitoring"
SHIFTED = Population(bureau_score_shift=-85.0, income_factor=0.45)

BATCHES: list[tuple[str, Callable[[], Iterator[Row]]]] = [
    (f"{FOLDER}/batch-2026-10.csv", lambda: batch_rows(Rng(5101), 3000, D(2026, 10, 1), D(2026, 10, 31), Population())),
    (f"{FOLDER}/batch-2026-11-shifted.csv", lambda: batch_rows(Rng(5102), 3000, D(2026, 11, 1), D(2026, 11, 30), SHIFTED)),
]


def main(argv: list[str] | None = None) -> int:
    datasets = [(path, MARKETING_COLUMNS, rows) for path, rows in BATCHES]
    return write_or_check(datasets, argv, "the monitoring example's production batches", "tools/generate_monitoring_batches.py")


if __name__ == "__main__":
    sys.exit(main())
