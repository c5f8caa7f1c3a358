"""Ingest: content fingerprints for rows without ids; bounded anomaly profiles."""

from __future__ import annotations

from pathlib import Path

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.data.synthetic import generate_transactions
from nivesh_ml.features.repository import _HISTORY_NS, TransactionRepository, fingerprints
from nivesh_ml.features.sqlite_store import SQLiteStore
from nivesh_ml.models.anomaly import PROFILE_NS, AnomalyProfileUpdater
from nivesh_ml.models.anomaly.family import load_frame
from nivesh_ml.models.anomaly.features import OTHER_CATEGORY, transaction_features, txn_from_record
from nivesh_ml.models.anomaly.population import fit_population
from nivesh_ml.models.anomaly.profile import apply_transactions


def txn(**change: object) -> Transaction:
    base: dict[str, object] = {"user_id": "u", "timestamp": "2025-01-05T10:00:00", "amount": 250.0,
                               "merchant": "Big Bazaar", "category": "groceries", "description": "UPI/123"}
    return Transaction.model_validate({**base, **change})


def test_fingerprint_ignores_case_and_spacing_but_not_content() -> None:
    a, b = fingerprints([txn(), txn(merchant="big  BAZAAR", description=" upi/123 ")])
    assert a is not None and b is not None and a != b  # the second is a second occurrence in one batch
    assert fingerprints([txn(merchant="big  BAZAAR")]) == fingerprints([txn()])
    for change in ({"amount": 251.0}, {"timestamp": "2025-01-05T10:01:00"}, {"direction": "credit"},
                   {"currency": "USD"}, {"category": "fuel"}, {"channel": "upi"}, {"description": "UPI/124"},
                   {"user_id": "v"}):
        assert fingerprints([txn(**change)]) != fingerprints([txn()]), change
    assert fingerprints([txn(transaction_id="t1")]) == [None]


def test_resent_rows_without_ids_are_not_added_twice(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "fs.db")
    rows = [txn(amount=100.0 + i, timestamp=f"2025-01-{1 + i:02d}") for i in range(5)] + [txn(), txn()]
    repo = TransactionRepository(store, [AnomalyProfileUpdater()], ttl_s=3600, max_history=5000)
    assert repo.ingest("u", rows).added == 7
    assert repo.ingest("u", rows).added == 0
    assert repo.ingest("u", rows[:3]).added == 0
    history, profile = store.get(_HISTORY_NS, "u"), repo.profile(PROFILE_NS, "u")
    assert history and len(history["transactions"]) == 7 and profile and profile["n"] == 7
    assert all("description" not in row for row in history["transactions"])  # narration: PII, not stored
    store.close()


def test_profile_category_tables_are_capped_and_still_score() -> None:
    cap = 8
    txns = [txn_from_record(txn(category=f"cat {i % 40}", amount=100.0 + i,
                                timestamp=f"2025-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}T10:00:00"))
            for i in range(400)]
    txns += [txn_from_record(txn(category="rent", amount=20_000.0, timestamp=f"2025-{m:02d}-01"))
             for m in range(1, 13)]
    profile = apply_transactions(None, txns, max_categories=cap)
    named = [k for k in profile["cat"] if k[1:] != OTHER_CATEGORY]
    assert len(named) <= cap and set(profile["chour"]) == set(profile["cat"])
    assert "d:rent" in named  # the most frequent stay
    assert sum(stats[0] for stats in profile["cat"].values()) == len(txns)  # nothing lost, only folded
    population = fit_population(load_frame(generate_transactions(5, 2, seed=1)))
    folded = txn_from_record(txn(category="cat 3", amount=140.0, timestamp="2026-01-02T10:00:00"))
    vector = transaction_features(profile, folded, population)
    assert all(v == v and abs(v) < 1e6 for v in vector)  # finite: the "other" bucket stands in


def test_updater_from_settings_applies_its_cap(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "fs.db")
    rows = [txn(category=f"c{i}", transaction_id=f"t{i}", timestamp=f"2025-01-{1 + i % 28:02d}") for i in range(30)]
    repo = TransactionRepository(store, [AnomalyProfileUpdater(max_categories=5)], ttl_s=3600, max_history=5000)
    repo.ingest("u", rows)
    profile = repo.profile(PROFILE_NS, "u")
    assert profile and len([k for k in profile["cat"] if k[1:] != OTHER_CATEGORY]) <= 5
    store.close()
