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

The process is ``marketing_rows`` of ``tools/generate_example_data.py`` with
the two shifts added where bureau score and income are drawn; it uses that
script's random primitives, so it depends on the standard library only and is
byte-for-byte reproducible in the same way. docs/monitoring.md describes the
scenario and the numbers monitoring reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from generate_example_data import (
    CHANNEL_EFFECT,
    MARKETING_COLUMNS,
    MARKETING_CUSTOMER,
    MARKETING_RACE_SHIFT,
    RACES,
    Rng,
    Row,
    cat,
    clip,
    flag,
    maybe,
    num,
    render,
    sigmoid,
)

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Population:
    """How a batch's prospects differ from the training population."""

    bureau_score_shift: float = 0.0  # points added to every bureau score (before clipping to 300..850)
    income_factor: float = 1.0  # every income estimate multiplied by this


def batch_rows(rng: Rng, n: int, start: dt.date, end: dt.date, population: Population) -> Iterator[Row]:
    """Marketing prospects as in the training window, with `population`'s shifts; the response follows the features."""
    for _ in range(n):
        when = rng.date(start, end)
        race = rng.choice(RACES, (0.60, 0.13, 0.18, 0.09))
        sex = rng.choice(("male", "female"), (0.49, 0.51))
        band = rng.choice(("18-24", "25-61", "62+"), (0.12, 0.66, 0.22))
        w = rng.normal(MARKETING_RACE_SHIFT[race], 1.0)  # latent financial strength, never written

        score = int(
            clip(
                705.0
                + population.bureau_score_shift
                + 55.0 * w
                + (-10.0 if band == "18-24" else 15.0 if band == "62+" else 0.0)
                + rng.normal(0.0, 30.0),
                300.0,
                850.0,
            )
        )
        cards = rng.poisson(math.exp(1.05 + 0.15 * w + (-0.3 if band == "18-24" else 0.0)))
        balance = clip(rng.lognormal(math.log(5200.0) - 0.1 * w, 1.1), 0.0, 500000.0) if cards > 0 else 0.0
        inquiries = rng.poisson(math.exp(-0.1 - 0.15 * w + (0.45 if band == "18-24" else 0.0)))
        since_new = int(clip(rng.lognormal(math.log(26.0) + 0.2 * w, 0.9), 0.0, 480.0))
        income = clip(
            population.income_factor
            * rng.lognormal(math.log(64000.0) + 0.32 * w + (-0.2 if band == "18-24" else -0.15 if band == "62+" else 0.0), 0.55),
            5000.0,
            2_000_000.0,
        )
        customer = rng.bernoulli(MARKETING_CUSTOMER[race] * math.exp(0.15 * w))
        tenure = int(clip(rng.lognormal(math.log(70.0), 0.9), 1.0, 84.0 if band == "18-24" else 600.0)) if customer else None
        checking = rng.lognormal(math.log(4200.0) + 0.55 * w, 1.2) if customer else None
        digital = rng.bernoulli(sigmoid((1.0 if band == "18-24" else -0.9 if band == "62+" else 0.2) + (0.9 if customer else -0.6)))
        channel = rng.choice(
            ("direct_mail", "email", "mobile_app", "branch"), (0.40, 0.32, 0.20 if customer else 0.04, 0.08 if customer else 0.0)
        )
        prior = rng.poisson(0.45 if customer else 0.15)

        logit = (
            -4.20
            + (0.85 if customer else 0.0)
            + (0.50 if digital else 0.0)
            + CHANNEL_EFFECT[channel]
            + 0.30 * min(inquiries, 6)
            + 0.35 * min(prior, 4)
            + 0.0050 * (score - 700.0)
            + 0.30 * (math.log(income) - math.log(64000.0))
            + (0.12 * (math.log(checking) - math.log(4200.0)) if checking is not None else 0.0)
            + 0.10 * min(cards, 8)
            - 0.010 * min(since_new, 60)
            + rng.normal(0.0, 0.8)
        )
        responded = rng.bernoulli(sigmoid(logit))
        yield [
            when.isoformat(),
            num(maybe(rng, 0.025, score), 0),
            num(cards, 0),
            num(balance, 2),
            num(inquiries, 0),
            num(maybe(rng, 0.03, since_new), 0),
            num(maybe(rng, 0.12, round(income, -2)), 0),
            flag(customer),
            num(tenure, 0),
            num(checking, 2),
            flag(digital),
            cat(maybe(rng, 0.01, channel)),
            num(prior, 0),
            race,
            sex,
            band,
            flag(responded),
        ]


D = dt.date
FOLDER = "models/marketing-propensity/monitoring"
SHIFTED = Population(bureau_score_shift=-85.0, income_factor=0.45)

BATCHES: list[tuple[str, Callable[[], Iterator[Row]]]] = [
    (f"{FOLDER}/batch-2026-10.csv", lambda: batch_rows(Rng(5101), 3000, D(2026, 10, 1), D(2026, 10, 31), Population())),
    (f"{FOLDER}/batch-2026-11-shifted.csv", lambda: batch_rows(Rng(5102), 3000, D(2026, 11, 1), D(2026, 11, 30), SHIFTED)),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate (or --check) the monitoring example's production batches.")
    parser.add_argument("--check", action="store_true", help="regenerate in memory; exit 1 if any file on disk differs")
    args = parser.parse_args(argv)
    stale = []
    for relpath, rows in BATCHES:
        content = render(MARKETING_COLUMNS, rows())
        path = ROOT / relpath
        digest = hashlib.sha256(content).hexdigest()
        count = content.count(b"\n") - 1
        if args.check:
            if not path.is_file() or path.read_bytes() != content:
                stale.append(relpath)
                print(f"differs  {relpath}")
            else:
                print(f"ok       {relpath}  rows={count}  sha256={digest}")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            print(f"wrote    {relpath}  rows={count}  sha256={digest}")
    if stale:
        print(f"{len(stale)} file(s) differ; run: python tools/generate_monitoring_batches.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
