"""The transaction repository, the same contract on both store backends (SQLite file, real Redis)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import nivesh_ml.models.anomaly  # noqa: F401 - importing the anomaly package must register nothing
from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import NotFound
from nivesh_ml.features.factory import create_store
from nivesh_ml.features.repository import IngestSummary, TransactionRepository
from nivesh_ml.features.store import OnlineStore, Record
from nivesh_ml.models.anomaly import PROFILE_NS, AnomalyProfileUpdater
from nivesh_ml.models.anomaly.features import OTHER_CATEGORY
from nivesh_ml.pipelines.wiring import transaction_repository

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class CountingUpdater:
    """A profile that counts the rows folded into it and remembers their amounts."""

    namespace: str

    def apply(self, current: Record | None, new: Sequence[Transaction]) -> Record:
        seen = current or {"n": 0, "amounts": []}
        return {"n": seen["n"] + len(new), "amounts": seen["amounts"] + [t.amount for t in new]}


@pytest.fixture(params=["sqlite", "redis"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "redis":
        return Settings(home=tmp_path / "var", redis_url=request.getfixturevalue("clean_redis"))
    return Settings(home=tmp_path / "var")


@pytest.fixture
def store(settings: Settings) -> Iterator[OnlineStore]:
    backend = create_store(settings)
    assert backend.backend == ("redis" if settings.redis_url else "sqlite")
    yield backend
    backend.close()


def rows(user: str = "u") -> list[Transaction]:
    """Out of time order; some without ids; two identical id-less rows (two real payments)."""
    data = [
        {"transaction_id": "t3", "timestamp": "2025-03-03T09:00:00", "amount": 300.0, "category": "Rent",
         "merchant": "Landlord", "channel": "netbanking", "city": "Pune", "country": "IN",
         "latitude": 18.5, "longitude": 73.8},
        {"transaction_id": "t1", "timestamp": "2025-01-01T10:00:00", "amount": 100.0, "category": "food",
         "direction": "credit", "currency": "USD"},
        {"timestamp": "2025-02-02T08:30:00", "amount": 42.5, "category": "tea", "description": "UPI/99 chai"},
        {"timestamp": "2025-02-02T08:30:00", "amount": 42.5, "category": "tea", "description": "UPI/99 chai"},
    ]
    return [Transaction(user_id=user, **row) for row in data]  # type: ignore[arg-type]


def stored_form(txn: Transaction) -> Transaction:
    """What the history gives back: everything but the narration (PII), category in lower case."""
    return txn.model_copy(update={"description": None, "category": txn.category.lower() if txn.category else None})


def test_history_round_trip(store: OnlineStore) -> None:
    repo = TransactionRepository(store, [], ttl_s=3600, max_history=100)
    sent = rows()
    assert repo.ingest("u", sent) == IngestSummary(received=4, added=4, stored=4)
    got = repo.history("u")
    assert all(isinstance(t, Transaction) for t in got)
    assert got == sorted((stored_form(t) for t in sent), key=lambda t: t.timestamp)
    assert repo.histories(["u", "nobody"]) == {"u": got, "nobody": []}
    assert sorted(repo.users()) == ["u"]
    with pytest.raises(NotFound, match="nobody"):
        repo.history("nobody")


def test_ingest_is_idempotent(store: OnlineStore) -> None:
    counter = CountingUpdater("counted")
    repo = TransactionRepository(store, [counter], ttl_s=3600, max_history=100)
    sent = rows()
    repo.ingest("u", sent)
    before = (repo.history("u"), repo.profile("counted", "u"))
    assert repo.ingest("u", sent) == IngestSummary(received=4, added=0, stored=4)
    assert repo.ingest("u", list(reversed(sent[:3]))).added == 0  # order within a batch does not matter
    assert (repo.history("u"), repo.profile("counted", "u")) == before

    extra = Transaction(user_id="u", timestamp="2025-04-01T12:00:00", amount=7.0)
    assert repo.ingest("u", [*sent, extra]) == IngestSummary(received=5, added=1, stored=5)
    profile = repo.profile("counted", "u")
    assert profile == {"n": 5, "amounts": [300.0, 100.0, 42.5, 42.5, 7.0]}  # each row folded in exactly once


def test_history_keeps_the_latest_rows(store: OnlineStore) -> None:
    repo = TransactionRepository(store, [], ttl_s=3600, max_history=3)
    summary = repo.ingest("u", rows())
    assert summary == IngestSummary(received=4, added=4, stored=3)
    assert [t.amount for t in repo.history("u")] == [42.5, 42.5, 300.0]


def test_profiles_are_those_of_the_given_updaters_only(store: OnlineStore) -> None:
    plain = TransactionRepository(store, [], ttl_s=3600, max_history=100)
    plain.ingest("a", rows("a"))
    assert len(plain.history("a")) == 4
    # The anomaly package is imported (top of this module) and registered nothing: no profile was written.
    assert plain.profile(PROFILE_NS, "a") is None

    only_b = TransactionRepository(store, [CountingUpdater("b")], ttl_s=3600, max_history=100)
    only_b.ingest("u", rows())
    assert only_b.profile("b", "u") == {"n": 4, "amounts": [300.0, 100.0, 42.5, 42.5]}
    assert only_b.profile("c", "u") is None and only_b.profile(PROFILE_NS, "u") is None

    both = TransactionRepository(store, [CountingUpdater("b"), AnomalyProfileUpdater(max_categories=2)],
                                 ttl_s=3600, max_history=100)
    new = Transaction(user_id="u", transaction_id="t9", timestamp="2025-05-01T10:00:00", amount=9.0)
    assert both.ingest("u", [new]).added == 1
    b_profile, anomaly = both.profile("b", "u"), both.profile(PROFILE_NS, "u")
    assert b_profile is not None and b_profile["n"] == 5
    assert anomaly is not None and anomaly["n"] == 1  # kept from this repository's first ingest on only


def test_the_app_and_cli_repository_keeps_the_anomaly_profile_with_the_settings_cap(settings: Settings,
                                                                                     store: OnlineStore) -> None:
    tuned = settings.model_copy(update={"anomaly": settings.anomaly.model_copy(update={"profile_max_categories": 3})})
    repo = transaction_repository(tuned, store)
    assert repo.updaters == (AnomalyProfileUpdater(max_categories=3),)
    assert repo.ttl_s == settings.feature_store.ttl_days * 86400
    assert repo.max_history == settings.feature_store.history_max_transactions
    repo.ingest("u", [Transaction(user_id="u", transaction_id=f"t{i}", timestamp=f"2025-01-{1 + i:02d}",
                                  amount=10.0 + i, category=f"c{i}") for i in range(10)])
    profile = repo.profile(PROFILE_NS, "u")
    assert profile is not None and profile["n"] == 10
    assert len([k for k in profile["cat"] if k[1:] != OTHER_CATEGORY]) <= 3 < 10


def test_updater_namespaces_must_be_distinct_and_not_the_history(store: OnlineStore) -> None:
    with pytest.raises(ValueError, match="distinct"):
        TransactionRepository(store, [CountingUpdater("x"), CountingUpdater("x")])
    with pytest.raises(ValueError, match="distinct"):
        TransactionRepository(store, [CountingUpdater("history")])
