"""TrustedHistory.late_record: where a record entered the trusted history against where its key's revocation did."""

from __future__ import annotations

from assay.evidence.revocation import TrustedHistory

CHAIN = ("c0", "c1", "c2", "c3")


def history(revocations: dict[str, int], entries: dict[str, int]) -> TrustedHistory:
    return TrustedHistory("main", CHAIN, revocations, entries)


def test_a_record_before_the_revocation_stands_and_one_at_or_after_it_falls() -> None:
    judged = history({"k": 2}, {"early": 1, "same": 2, "late": 3})
    assert judged.late_record("early", "k") == ""
    assert "at commit c2" in judged.late_record("same", "k")  # entering with the revocation counts as after it
    assert "at commit c3" in judged.late_record("late", "k")


def test_a_record_not_yet_on_the_chain_falls_once_the_revocation_is_on_it() -> None:
    assert "not yet on it" in history({"k": 1}, {}).late_record("proposed", "k")


def test_a_revocation_off_the_chain_orders_after_every_record_on_it() -> None:
    judged = history({}, {"old": 3})
    assert judged.late_record("old", "k") == ""
    assert "working tree's trust root" in judged.late_record("proposed", "k")  # both off the chain: together, so after
