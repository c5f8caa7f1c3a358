"""Per-user records kept in the online store, built from ingested transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import NotFound
from nivesh_ml.features.store import OnlineStore, Record

HISTORY_NS = "history"

# Extra per-user profiles kept in step with ingestion (e.g. the anomaly model's profile).
# Each takes (store, user_id, new transactions, ttl_s).
ProfileUpdater = Callable[[OnlineStore, str, Sequence[Transaction], int], None]
PROFILE_UPDATERS: list[ProfileUpdater] = []


def compact(txn: Transaction) -> dict[str, Any]:
    """The stored form of a transaction (short keys; no description, which may hold PII)."""
    return {
        "id": txn.transaction_id,
        "ts": txn.timestamp.isoformat(),
        "amount": txn.amount,
        "currency": txn.currency,
        "direction": txn.direction,
        "merchant": txn.merchant,
        "category": txn.category.lower() if txn.category else None,
        "channel": txn.channel,
        "city": txn.city,
        "country": txn.country,
        "lat": txn.latitude,
        "lon": txn.longitude,
    }


def expand(record: dict[str, Any], user_id: str) -> Transaction:
    """A stored transaction back as a :class:`Transaction`."""
    return Transaction(
        user_id=user_id, timestamp=record["ts"], amount=record["amount"], currency=record["currency"],
        direction=record["direction"], transaction_id=record.get("id"), merchant=record.get("merchant"),
        category=record.get("category"), channel=record.get("channel"), city=record.get("city"),
        country=record.get("country"), latitude=record.get("lat"), longitude=record.get("lon"),
    )


def _merge(existing: Record | None, new: Iterable[dict[str, Any]], limit: int) -> Record:
    current = list(existing["transactions"]) if existing else []
    seen = {t["id"] for t in current if t.get("id")}
    added = 0
    for item in new:
        if item.get("id") and item["id"] in seen:
            continue
        if item.get("id"):
            seen.add(item["id"])
        current.append(item)
        added += 1
    current.sort(key=lambda t: t["ts"])
    return {"transactions": current[-limit:], "added": added,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}


def ingest_transactions(store: OnlineStore, user_id: str, transactions: Sequence[Transaction],
                        ttl_s: int, max_history: int) -> dict[str, int]:
    """Append a user's transactions (idempotent on ``transaction_id``) and refresh their profiles."""
    new = [compact(t) for t in transactions]
    record = store.update(HISTORY_NS, user_id, lambda cur: _merge(cur, new, max_history), ttl_s=ttl_s)
    added = int(record.get("added", 0))
    for updater in PROFILE_UPDATERS:
        updater(store, user_id, transactions, ttl_s)
    return {"received": len(transactions), "added": added, "stored": len(record["transactions"])}


def user_history(store: OnlineStore, user_id: str) -> list[Transaction]:
    """Every stored transaction of a user, oldest first.

    Raises:
        NotFound: the user has no stored history.
    """
    record = store.get(HISTORY_NS, user_id)
    if not record or not record.get("transactions"):
        raise NotFound(f"no transactions stored for user {user_id!r}; POST /transactions first "
                       "or send 'transactions' inline")
    return [expand(r, user_id) for r in record["transactions"]]
