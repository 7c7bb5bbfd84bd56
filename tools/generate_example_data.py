#!/usr/bin/env python3
"""Generate the synthetic example datasets of the shipped example models.

Usage, from the repository root::

    python tools/generate_example_data.py          # (re)write every CSV
    python tools/generate_example_data.py --check  # exit 1 if a CSV on disk differs

For each example model this writes ``models/<name>/data/train.csv`` (the
development window) and ``models/<name>/data/oot.csv`` (an out-of-time window
after it). The data is synthetic: no row describes a real person, card or
account. It is built to behave like the data a US bank really models:

* skewed amounts (lognormal incomes, balances and transaction amounts);
* missing values (empty cells) in some numeric and categorical columns;
* categorical levels, class imbalance and an observation-date column;
* protected-attribute columns used for fairness testing only (never features),
  with score-relevant features correlated with group membership, so that at the
  model's decision threshold one group's favourable-outcome rate is clearly lower
  than the reference group's: a gap the fairness test must detect;
* a learnable signal, and mild drift in the out-of-time window.

Determinism: only the standard library is used. Every random draw comes from
``random.Random(seed).random()``, whose Mersenne Twister stream is fixed across
Python versions; normal, Poisson and categorical draws are built here from it
rather than taken from ``random.gauss`` and friends, whose algorithms may change.
Every number is written with a fixed precision, rows are written sorted by date,
and files use ``\n`` line endings, so the bytes (and the sha256 digests pinned
in the specs) are reproducible. Checked identical on CPython 3.11, 3.12 and 3.13
(Linux x86-64); the only platform dependence left is the C library's exp, log
and cos, which agree on mainstream platforms.

Each dataset has its own seeds, so changing one model's generator leaves the
others' bytes alone. The generative process of each dataset (distributions, how
the target depends on the features, missingness, the fairness gap) is documented
in ``docs/example-data.md``; in short:

consumer-credit-pd (personal-loan applications; target default_12m, about 11%)
    A latent credit strength ``z ~ N(shift[race], 1)`` (white 0, black -0.53,
    hispanic -0.20, asian +0.10) drives utilization, delinquencies, inquiries,
    income, debt-to-income, credit history and job tenure; age band caps the
    credit history. ``default_12m`` is Bernoulli(sigmoid(linear function of the
    features' true values + N(0, 0.9))): given the features it does not depend
    on race, sex or age. Gap: at the 0.5 threshold of the spec's balanced
    logistic regression, black applicants' approval rate is about 0.74-0.77 of
    white applicants'; every other group's ratio is above 0.9.

card-fraud-detection (card authorizations; target is_fraud, about 1.4%)
    The label is drawn first (higher for cards under 90 days old and for
    cardholders 62+), then features from class-conditional distributions; one
    fraud in seven mimics the cardholder. Gap: half of hispanic cardholders
    (3-7% of others) send family remittances through money-transfer merchants,
    often cross-border, which look like the commonest cash-out fraud, so their
    genuine transactions are stepped up about twice as often.

aml-alert-scoring (transaction-monitoring alerts; target sar_filed, about 7%)
    A latent suspicion ``s ~ N(0, 1)`` drives the activity features; the SAR
    decision is a logistic function of ``s`` and of what investigators see,
    including wires to higher-risk jurisdictions. Gap: 62% of hispanic
    customers (5-15% of others) remit to family through such corridors, so
    their alerts are put in the priority queue far more often (ratio of
    not-prioritised rates about 0.70-0.75).

marketing-propensity (prescreened card offers; target responded, about 6.5%)
    Response is a logistic function of relationship (existing customer,
    digital activity, balances), bureau attributes, credit shopping and
    channel. Gap: black prospects are less often deposit customers and have a
    lower latent financial strength, so at the 0.07 cut-off their selection
    rate is about 0.70-0.75 of white prospects'.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import hmac
import io
import math
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------
# Deterministic random primitives, all built on Random.random() only.
# --------------------------------------------------------------------------


class Rng:
    """Random draws that depend only on the Mersenne Twister stream."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def u(self) -> float:
        """Uniform on [0, 1)."""
        return self._random.random()

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.u()

    def normal(self, mean: float = 0.0, sd: float = 1.0) -> float:
        """Box-Muller, one value per call (no cached second value)."""
        u1 = 1.0 - self.u()  # in (0, 1]
        u2 = self.u()
        return mean + sd * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def lognormal(self, log_mean: float, log_sd: float) -> float:
        return math.exp(self.normal(log_mean, log_sd))

    def bernoulli(self, p: float) -> bool:
        return self.u() < p

    def poisson(self, lam: float) -> int:
        """Knuth's method; lam is capped at 30, plenty for these counts."""
        limit = math.exp(-min(lam, 30.0))
        k, product = 0, self.u()
        while product > limit:
            k += 1
            product *= self.u()
        return k

    def choice(self, levels: Sequence[str], weights: Sequence[float]) -> str:
        x = self.u() * sum(weights)
        acc = 0.0
        for level, weight in zip(levels, weights, strict=True):
            acc += weight
            if x < acc:
                return level
        return levels[-1]

    def date(self, start: dt.date, end: dt.date) -> dt.date:
        days = (end - start).days + 1
        return start + dt.timedelta(days=min(int(self.u() * days), days - 1))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def clip(x: float, low: float, high: float) -> float:
    return low if x < low else high if x > high else x


def num(x: float | int | None, places: int) -> str:
    """Fixed-precision text; None is a missing value (empty cell)."""
    if x is None:
        return ""
    text = f"{x:.{places}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]  # never write "-0.0"
    return text


def cat(x: str | None) -> str:
    return "" if x is None else x


def flag(x: bool | None) -> str:
    return "" if x is None else ("1" if x else "0")


T = TypeVar("T")


def maybe(rng: Rng, p_missing: float, value: T) -> T | None:
    """The value, or None (missing) with probability p_missing."""
    return None if rng.bernoulli(p_missing) else value


Row = list[str]


# --------------------------------------------------------------------------
# consumer-credit-pd
# --------------------------------------------------------------------------

CREDIT_COLUMNS = [
    "application_date",
    "revolving_utilization",
    "debt_to_income",
    "delinquencies_24m",
    "inquiries_6m",
    "credit_history_months",
    "annual_income",
    "loan_amount",
    "employment_years",
    "housing_status",
    "loan_purpose",
    "race_proxy",
    "sex_proxy",
    "age_band",
    "default_12m",
]

RACES = ("white", "black", "hispanic", "asian")
CREDIT_RACE_SHIFT = {"white": 0.0, "black": -0.53, "hispanic": -0.20, "asian": 0.10}
PURPOSE_EFFECT = {"debt_consolidation": 0.10, "home_improvement": -0.25, "major_purchase": -0.10, "medical": 0.30, "other": 0.05}
HOUSING_EFFECT = {"own": -0.20, "mortgage": -0.25, "rent": 0.10, "other": 0.0}


def age_in_band(rng: Rng, band: str) -> float:
    if band == "18-24":
        return rng.uniform(18.0, 25.0)
    if band == "25-61":
        return rng.uniform(25.0, 62.0)
    return 62.0 + 22.0 * math.pow(rng.u(), 1.6)


def credit_rows(rng: Rng, n: int, start: dt.date, end: dt.date, *, oot: bool) -> Iterator[Row]:
    income_drift = math.log(1.04) if oot else 0.0  # nominal wage growth
    inquiry_drift = 0.10 if oot else 0.0  # more credit shopping
    default_drift = 0.15 if oot else 0.0  # a slightly weaker cycle
    for _ in range(n):
        when = rng.date(start, end)
        race = rng.choice(RACES, (0.60, 0.14, 0.17, 0.09))
        sex = rng.choice(("male", "female"), (0.52, 0.48))
        band = rng.choice(("18-24", "25-61", "62+"), (0.11, 0.74, 0.15))
        age = age_in_band(rng, band)
        z = rng.normal(CREDIT_RACE_SHIFT[race], 1.0)  # latent credit strength, never written

        log_income = math.log(60000.0) + income_drift + 0.30 * z + rng.normal(0.0, 0.50)
        log_income += -0.05 if band == "18-24" else (-0.20 if band == "62+" else 0.0)
        log_income += -0.06 if sex == "female" else 0.0
        income = round(clip(math.exp(log_income), 8000.0, 5_000_000.0), -2)

        loan = math.exp(
            math.log(10000.0) - (0.45 if band == "18-24" else 0.0) + 0.45 * (math.log(income) - math.log(60000.0)) + rng.normal(0.0, 0.55)
        )
        loan = round(clip(loan, 1000.0, 50000.0) / 50.0) * 50.0

        utilization = clip(1.15 * sigmoid(-0.55 - 0.90 * z + rng.normal(0.0, 0.75)), 0.0, 1.5)
        dti = clip(math.exp(math.log(0.24) - 0.20 * z + rng.normal(0.0, 0.45)) + 0.35 * loan / income, 0.0, 2.0)
        delinquencies = min(rng.poisson(math.exp(-1.6 - 0.95 * z)), 30)
        inquiries = min(rng.poisson(math.exp(0.05 + inquiry_drift - 0.35 * z + (0.05 if age < 25 else 0.0))), 40)
        max_history = (age - 18.0) * 12.0 + 30.0  # authorized-user tradelines predate 18
        history = int(max_history * sigmoid(1.0 + 0.45 * z + rng.normal(0.0, 0.8)))
        history = min(history, 900)
        employment = round(min(age - 18.0, 45.0) * sigmoid(-1.3 + 0.35 * z + rng.normal(0.0, 1.0)), 1)

        young, old = age < 25.0, age >= 62.0
        housing = rng.choice(
            ("own", "mortgage", "rent", "other"),
            (
                (0.05 if young else 0.45 if old else 0.12) * math.exp(0.3 * z),
                (0.12 if young else 0.25 if old else 0.40) * math.exp(0.5 * z),
                (0.57 if young else 0.22 if old else 0.40),
                (0.30 if young else 0.08),
            ),
        )
        purpose = rng.choice(tuple(PURPOSE_EFFECT), (0.52, 0.14, 0.12, 0.07, 0.15))

        logit = (
            -4.10
            + default_drift
            + 2.00 * utilization
            + 1.20 * dti
            + 0.45 * min(delinquencies, 6)
            + 0.15 * min(inquiries, 10)
            - 0.08 * math.log1p(history / 12.0)
            - 0.45 * (math.log(income) - math.log(60000.0))
            + 0.30 * (math.log(loan) - math.log(10000.0))
            - 0.015 * min(employment, 20.0)
            + HOUSING_EFFECT[housing]
            + PURPOSE_EFFECT[purpose]
            + rng.normal(0.0, 0.9)
        )
        default = rng.bernoulli(sigmoid(logit))

        # Missingness: no revolving trades; income not stated (then DTI cannot
        # be computed); unemployed, retired or not stated; form fields skipped.
        income_out = maybe(rng, 0.06, income)
        yield [
            when.isoformat(),
            num(maybe(rng, 0.04, utilization), 4),
            num(None if income_out is None else dti, 4),
            num(delinquencies, 0),
            num(inquiries, 0),
            num(history, 0),
            num(income_out, 0),
            num(loan, 0),
            num(maybe(rng, 0.30 if old else 0.06, employment), 1),
            cat(maybe(rng, 0.02, housing)),
            cat(maybe(rng, 0.015, purpose)),
            race,
            sex,
            band,
            flag(default),
        ]


# --------------------------------------------------------------------------
# card-fraud-detection
# --------------------------------------------------------------------------

FRAUD_COLUMNS = [
    "transaction_date",
    "card_token",
    "transaction_amount",
    "amount_to_avg_ratio",
    "merchant_category",
    "entry_mode",
    "cross_border",
    "hour_of_day",
    "txn_count_1h",
    "txn_count_24h",
    "distance_from_home_km",
    "minutes_since_last_txn",
    "new_merchant",
    "cvv_result",
    "account_age_days",
    "race_proxy",
    "age_band",
    "is_fraud",
]

MERCHANTS = ("grocery", "restaurant", "fuel", "general_retail", "online_retail", "travel", "electronics", "digital_goods", "money_transfer")
ONLINE = {"online_retail", "digital_goods", "money_transfer"}
MERCHANT_LEGIT = (0.22, 0.17, 0.12, 0.18, 0.15, 0.05, 0.04, 0.05, 0.02)
MERCHANT_FRAUD = (0.05, 0.04, 0.05, 0.08, 0.16, 0.08, 0.13, 0.11, 0.30)
# Share of cardholders who regularly send money abroad with the card (family
# remittances through money-transfer merchants), by race proxy. This is the
# source of the fairness gap: their genuine transactions look like fraud.
FRAUD_REMITTER = {"white": 0.03, "black": 0.05, "hispanic": 0.50, "asian": 0.07}
TOKEN_KEY = b"assay-example-tokenization-key"  # synthetic: tokens stand in for a vault's keyed hash


class Card:
    __slots__ = ("avg_amount", "band", "opened", "race", "remitter", "token")

    def __init__(self, token: str, race: str, band: str, opened: dt.date, avg_amount: float, remitter: bool) -> None:
        self.token, self.race, self.band, self.opened = token, race, band, opened
        self.avg_amount, self.remitter = avg_amount, remitter


def card_pool(rng: Rng, size: int) -> list[Card]:
    cards = []
    for index in range(size):
        token = "tok_" + hmac.new(TOKEN_KEY, f"card-{index:06d}".encode(), hashlib.sha256).hexdigest()[:16]
        race = rng.choice(RACES, (0.58, 0.14, 0.19, 0.09))
        band = rng.choice(("18-24", "25-61", "62+"), (0.10, 0.70, 0.20))
        # Open dates skew recent: about a fifth of cards were opened in the last year of the data.
        opened = dt.date(2026, 3, 31) - dt.timedelta(days=int(5000 * math.pow(rng.u(), 1.8)))
        avg_amount = rng.lognormal(math.log(55.0), 0.5)
        cards.append(Card(token, race, band, opened, avg_amount, rng.bernoulli(FRAUD_REMITTER[race])))
    return cards


Behaviour = tuple[float, int, int, int, float, bool]


def _fraud_behaviour(rng: Rng, card: Card, *, fraud: bool, overt: bool, remittance: bool, merchant: str, cross_border: bool) -> Behaviour:
    """Amount, hour, 1h and 24h velocity, minutes since the last authorization, new merchant."""
    if overt and merchant == "money_transfer":
        # Cash-out through money-transfer merchants: close to a genuine remittance.
        amount = rng.lognormal(math.log(320.0), 0.7)
        hour = int(rng.normal(15.0, 5.5)) % 24
        count_1h = rng.poisson(0.8)
        count_24h = count_1h + rng.poisson(2.8)
        minutes = rng.lognormal(math.log(200.0), 1.8)
        new_merchant = rng.bernoulli(0.65)
    elif overt:
        amount = rng.lognormal(math.log(140.0), 1.1)
        hour = int(24 * rng.u()) if rng.bernoulli(0.35) else int(rng.normal(14.0, 5.0)) % 24
        count_1h = rng.poisson(1.1)
        count_24h = count_1h + rng.poisson(3.5)
        minutes = rng.lognormal(math.log(40.0), 1.9)
        new_merchant = rng.bernoulli(0.70)
    elif remittance:
        amount = rng.lognormal(math.log(260.0), 0.6)
        hour = int(rng.normal(15.0, 5.0)) % 24
        count_1h = rng.poisson(0.5)
        count_24h = count_1h + rng.poisson(2.3)
        minutes = rng.lognormal(math.log(400.0), 1.6)
        new_merchant = rng.bernoulli(0.50)  # senders switch providers for rates
    else:
        amount = card.avg_amount * rng.lognormal(0.35 if fraud else 0.0, 0.85)
        if cross_border:
            amount *= 1.6  # trips abroad run larger
        hour = int(rng.normal(14.5, 4.2)) % 24
        count_1h = rng.poisson(0.6 if fraud else 0.35)
        count_24h = count_1h + rng.poisson(2.3)
        minutes = rng.lognormal(math.log(500.0), 1.5)
        new_merchant = rng.bernoulli(0.25 + (0.20 if cross_border else 0.0) + (0.15 if fraud else 0.0))
    return amount, hour, count_1h, count_24h, minutes, new_merchant


def fraud_rows(rng: Rng, cards: list[Card], n: int, start: dt.date, end: dt.date, *, oot: bool) -> Iterator[Row]:
    base_rate = 0.0140 if oot else 0.0130
    for _ in range(n):
        when = rng.date(start, end)
        card = cards[int(rng.u() * len(cards))]
        while card.opened > when:
            card = cards[int(rng.u() * len(cards))]
        age_days = (when - card.opened).days
        multiplier = (2.2 if age_days < 90 else 1.0) * (1.5 if card.band == "62+" else 1.0) * (1.2 if card.band == "18-24" else 1.0)
        fraud = rng.bernoulli(base_rate * multiplier)
        # About one fraud in seven mimics the cardholder (counterfeit cards at
        # familiar merchant types, account takeover): only faint signals.
        overt = fraud and not rng.bernoulli(0.15)
        remittance = not fraud and card.remitter and rng.bernoulli(0.28)

        merchant = "money_transfer" if remittance else rng.choice(MERCHANTS, MERCHANT_FRAUD if overt else MERCHANT_LEGIT)
        online = merchant in ONLINE or (merchant in ("travel", "electronics", "general_retail") and rng.bernoulli(0.35))
        if online:
            entry = "ecommerce" if rng.bernoulli(0.97) else "manual_keyed"
        elif overt:
            entry = rng.choice(("chip", "contactless", "swipe", "manual_keyed"), (0.30, 0.15, 0.40, 0.15))
        else:
            young = card.band == "18-24"
            entry = rng.choice(("chip", "contactless", "swipe", "manual_keyed"), (0.55, 0.40 if young else 0.32, 0.10, 0.03))
        if remittance or (overt and merchant == "money_transfer"):
            cross_border = rng.bernoulli(0.70)  # cash-out abroad looks like a remittance
        else:
            cross_border = rng.bernoulli(0.40 if overt else 0.05 if fraud else 0.025)

        amount, hour, count_1h, count_24h, minutes, new_merchant = _fraud_behaviour(
            rng, card, fraud=fraud, overt=overt, remittance=remittance, merchant=merchant, cross_border=cross_border
        )
        amount = clip(amount, 0.5, 25000.0)

        if entry in ("ecommerce", "manual_keyed"):
            distance = None  # no terminal location for card-not-present
            stolen_data = overt and merchant != "money_transfer"  # cash-out abroad uses full card data
            cvv = rng.choice(("match", "mismatch", "not_provided"), (0.78, 0.08, 0.14) if stolen_data else (0.96, 0.01, 0.03))
        else:
            if cross_border:
                distance = rng.lognormal(math.log(2500.0), 0.6)
            else:
                distance = rng.lognormal(math.log(60.0 if overt else 9.0), 1.5 if overt else 1.0)
            cvv = "not_provided"
        # The 90-day average needs 30 days of history.
        ratio = None if age_days < 30 else amount / (card.avg_amount * rng.lognormal(0.0, 0.15))
        yield [
            when.isoformat(),
            card.token,
            num(amount, 2),
            num(None if ratio is None else clip(ratio, 0.0, 500.0), 3),
            cat(maybe(rng, 0.01, merchant)),
            entry,
            flag(cross_border),
            num(hour, 0),
            num(count_1h, 0),
            num(count_24h, 0),
            num(None if distance is None else clip(distance, 0.0, 20000.0), 1),
            num(maybe(rng, 0.03, clip(minutes, 0.0, 525600.0)), 1),
            flag(new_merchant),
            cat(maybe(rng, 0.02, cvv)),
            num(age_days, 0),
            card.race,
            card.band,
            flag(fraud),
        ]


# --------------------------------------------------------------------------
# aml-alert-scoring
# --------------------------------------------------------------------------

AML_COLUMNS = [
    "alert_date",
    "alert_scenario",
    "customer_segment",
    "customer_risk_rating",
    "tenure_months",
    "total_amount_30d",
    "txn_count_30d",
    "cash_ratio_30d",
    "intl_wire_count_30d",
    "high_risk_jurisdiction_wires_30d",
    "near_threshold_cash_count_30d",
    "amount_vs_peer_ratio",
    "prior_alerts_12m",
    "cash_intensive_business",
    "kyc_refresh_overdue",
    "adverse_media_hit",
    "rule_score",
    "race_proxy",
    "age_band",
    "sar_filed",
]

SCENARIOS = ("structuring", "large_cash", "rapid_movement", "wire_velocity", "high_risk_geography", "dormant_reactivation", "p2p_velocity")
SCENARIO_WEIGHTS = (0.18, 0.17, 0.18, 0.14, 0.15, 0.08, 0.10)
SCENARIO_EFFECT = {
    "structuring": 0.35,
    "large_cash": -0.10,
    "rapid_movement": 0.20,
    "wire_velocity": 0.0,
    "high_risk_geography": -0.15,
    "dormant_reactivation": 0.10,
    "p2p_velocity": -0.30,
}
# Share of alerted customers who send family remittances abroad, by race proxy:
# their wires go to higher-risk corridors whatever their suspicion level.
AML_REMITTER = {"white": 0.05, "black": 0.10, "hispanic": 0.62, "asian": 0.15}
RATING_EFFECT = {"low": -0.35, "medium": 0.0, "high": 0.45}


def aml_rows(rng: Rng, n: int, start: dt.date, end: dt.date, *, oot: bool) -> Iterator[Row]:
    volume_drift = 0.08 if oot else 0.0  # payments volumes grow
    for _ in range(n):
        when = rng.date(start, end)
        race = rng.choice(RACES, (0.55, 0.15, 0.20, 0.10))
        band = rng.choice(("18-24", "25-61", "62+"), (0.09, 0.71, 0.20))
        business = rng.bernoulli(0.25)
        remitter = rng.bernoulli(AML_REMITTER[race])
        # Remittances trip the wire and geography rules more often.
        weights = tuple(
            w * (1.5 if remitter and sc in ("wire_velocity", "high_risk_geography") else 1.0)
            for sc, w in zip(SCENARIOS, SCENARIO_WEIGHTS, strict=True)
        )
        scenario = rng.choice(SCENARIOS, weights)
        s = rng.normal(0.0, 1.0)  # latent suspicion, never written

        rating = rng.choice(
            ("low", "medium", "high"), (0.58 * math.exp(-0.3 * s), 0.33, 0.09 * math.exp(0.4 * s) * (1.6 if business else 1.0))
        )
        tenure = int(clip(rng.lognormal(math.log(14.0 if band == "18-24" else 70.0), 0.9) * math.exp(-0.15 * s), 1.0, 600.0))
        total = rng.lognormal(math.log(60000.0 if business else 18000.0) + volume_drift + 0.35 * s, 1.0)
        count = rng.poisson(rng.lognormal(math.log(70.0 if business else 35.0) + 0.15 * s, 0.5))
        cash_focus = 1.2 if scenario in ("structuring", "large_cash") else 0.0
        cash_ratio = sigmoid(-1.8 + cash_focus + 0.45 * s + (0.6 if business else 0.0) + rng.normal(0.0, 0.9))
        wire_focus = 1.0 if scenario in ("wire_velocity", "high_risk_geography", "rapid_movement") else 0.0
        hr_base = rng.poisson(math.exp(-0.9 + 0.8 * (scenario == "high_risk_geography") + 1.0 * s))
        intl = hr_base + rng.poisson(math.exp(-0.9 + wire_focus + 0.35 * s))
        hr_wires = hr_base
        if remitter:
            remittances = 1 + rng.poisson(2.0)
            intl += remittances
            hr_wires += sum(1 for _ in range(remittances) if rng.bernoulli(0.7))
        near = rng.poisson(math.exp(-1.6 + 1.3 * (scenario == "structuring") + 0.75 * s)) if cash_ratio > 0.15 else 0
        peer = rng.lognormal(0.7 + 0.45 * s, 0.8)
        prior = rng.poisson(math.exp(-0.7 + 0.35 * s + (0.4 if remitter else 0.0)))
        cash_business = business and rng.bernoulli(sigmoid(-1.0 + 0.4 * s))
        kyc_overdue = rng.bernoulli(sigmoid(-2.4 + 0.3 * s))
        media = rng.bernoulli(sigmoid(-4.6 + 0.9 * s))
        rule_score = clip(45.0 + 10.0 * s + (8.0 if remitter else 0.0) + rng.normal(0.0, 14.0), 0.0, 100.0)

        # The SAR decision follows the suspicion itself plus what investigators
        # see in the file, including wires to higher-risk jurisdictions, which
        # weigh on the decision whatever their purpose.
        logit = (
            -4.30
            + 0.90 * s
            + SCENARIO_EFFECT[scenario]
            + RATING_EFFECT[rating]
            + 0.15 * (math.log(total) - math.log(25000.0))
            + 0.80 * cash_ratio
            + 0.25 * min(near, 6)
            + 0.15 * min(prior, 5)
            + 0.35 * min(hr_wires, 8)
            - 0.004 * min(tenure, 240)
            + (0.40 if cash_business else 0.0)
            + (0.35 if kyc_overdue else 0.0)
            + (1.00 if media else 0.0)
            + rng.normal(0.0, 0.9)
        )
        sar = rng.bernoulli(sigmoid(logit))
        yield [
            when.isoformat(),
            scenario,
            "small_business" if business else "retail",
            cat(maybe(rng, 0.03, rating)),
            num(tenure, 0),
            num(total, 2),
            num(count, 0),
            num(cash_ratio, 4),
            num(intl, 0),
            num(hr_wires, 0),
            num(near, 0),
            num(maybe(rng, 0.05, clip(peer, 0.0, 1000.0)), 3),
            num(prior, 0),
            flag(cash_business),
            flag(maybe(rng, 0.04, kyc_overdue)),
            flag(media),
            num(maybe(rng, 0.02, rule_score), 1),
            race,
            band,
            flag(sar),
        ]


# --------------------------------------------------------------------------
# marketing-propensity
# --------------------------------------------------------------------------

MARKETING_COLUMNS = [
    "campaign_date",
    "bureau_score",
    "num_open_revolving",
    "revolving_balance",
    "inquiries_6m",
    "months_since_last_new_account",
    "estimated_income",
    "existing_customer",
    "tenure_months",
    "checking_balance_avg",
    "digital_active",
    "offer_channel",
    "prior_offer_responses_24m",
    "race_proxy",
    "sex_proxy",
    "age_band",
    "responded",
]

MARKETING_RACE_SHIFT = {"white": 0.0, "black": -0.08, "hispanic": -0.05, "asian": 0.05}
MARKETING_CUSTOMER = {"white": 0.46, "black": 0.44, "hispanic": 0.45, "asian": 0.46}
CHANNEL_EFFECT = {"direct_mail": -0.35, "email": 0.0, "mobile_app": 0.55, "branch": 0.25}


@dataclass(frozen=True)
class Population:
    """How a batch's prospects differ from the training population (tools/generate_monitoring_batches.py)."""

    bureau_score_shift: float = 0.0  # points added to every bureau score (before clipping to 300..850)
    income_factor: float = 1.0  # every income estimate multiplied by this


def marketing_rows(rng: Rng, n: int, start: dt.date, end: dt.date, *, oot: bool, population: Population = Population()) -> Iterator[Row]:
    """Marketing prospects; `population` shifts bureau scores and incomes (a covariate shift: the response
    still follows the same function of the features). The defaults add 0.0 and multiply by 1.0, exactly."""
    fatigue = -0.12 if oot else 0.0  # offer fatigue: response softens
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
            + fatigue
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


# --------------------------------------------------------------------------
# The datasets and their windows (matching data.*.window in each spec).
# --------------------------------------------------------------------------

D = dt.date


def _fraud(seed: int, n: int, start: dt.date, end: dt.date, oot: bool) -> Iterator[Row]:
    cards = card_pool(Rng(3101), 6000)  # one card pool for both windows
    return fraud_rows(Rng(seed), cards, n, start, end, oot=oot)


Dataset = tuple[str, list[str], Callable[[], Iterator[Row]]]

DATASETS: list[Dataset] = [
    (
        "models/consumer-credit-pd/data/train.csv",
        CREDIT_COLUMNS,
        lambda: credit_rows(Rng(1001), 16000, D(2021, 1, 1), D(2023, 12, 31), oot=False),
    ),
    (
        "models/consumer-credit-pd/data/oot.csv",
        CREDIT_COLUMNS,
        lambda: credit_rows(Rng(1002), 4000, D(2024, 1, 1), D(2024, 6, 30), oot=True),
    ),
    ("models/card-fraud-detection/data/train.csv", FRAUD_COLUMNS, lambda: _fraud(3001, 20000, D(2025, 1, 1), D(2025, 12, 31), False)),
    ("models/card-fraud-detection/data/oot.csv", FRAUD_COLUMNS, lambda: _fraud(3002, 5000, D(2026, 1, 1), D(2026, 3, 31), True)),
    ("models/aml-alert-scoring/data/train.csv", AML_COLUMNS, lambda: aml_rows(Rng(4001), 14000, D(2023, 7, 1), D(2025, 6, 30), oot=False)),
    ("models/aml-alert-scoring/data/oot.csv", AML_COLUMNS, lambda: aml_rows(Rng(4002), 3500, D(2025, 7, 1), D(2025, 12, 31), oot=True)),
    (
        "models/marketing-propensity/data/train.csv",
        MARKETING_COLUMNS,
        lambda: marketing_rows(Rng(5001), 18000, D(2025, 3, 1), D(2026, 2, 28), oot=False),
    ),
    (
        "models/marketing-propensity/data/oot.csv",
        MARKETING_COLUMNS,
        lambda: marketing_rows(Rng(5002), 4500, D(2026, 3, 1), D(2026, 6, 30), oot=True),
    ),
]


def _first_cell(row: Row) -> str:
    return row[0]


def render(columns: list[str], rows: Iterator[Row]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    # Rows are drawn in random date order and written in date order, as an
    # extract would be (a stable sort, so ties keep their drawn order).
    ordered: list[Row] = sorted(rows, key=_first_cell)
    writer.writerows(ordered)
    return buffer.getvalue().encode("utf-8")


def write_or_check(datasets: Sequence[Dataset], argv: list[str] | None, what: str, script: str) -> int:
    """Write each (path, columns, rows) dataset as CSV, or with --check exit 1 when a file on disk differs."""
    parser = argparse.ArgumentParser(description=f"Generate (or --check) {what}.")
    parser.add_argument("--check", action="store_true", help="regenerate in memory; exit 1 if any file on disk differs")
    args = parser.parse_args(argv)
    stale = []
    for relpath, columns, rows in datasets:
        content = render(columns, rows())
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
        print(f"{len(stale)} file(s) differ; run: python {script}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    return write_or_check(DATASETS, argv, "the example models' synthetic CSV data", "tools/generate_example_data.py")


if __name__ == "__main__":
    sys.exit(main())
