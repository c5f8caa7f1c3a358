"""Per-user records kept in the online store, built from ingested transactions.

An ingest writes the user's history and every profile in one atomic store update (one SQLite
transaction, one Redis MULTI/EXEC): a crash or an outage leaves the user with all of a batch or none of it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import NotFound
from nivesh_ml.features.store import OnlineStore, Record, RecordKey

HISTORY_NS = "history"


class ProfileUpdater(Protocol):
    """A per-user profile kept in step with ingestion (e.g. the anomaly model's profile)."""

    @property
    def namespace(self) -> str:
        """Store namespace of the profile (keyed by user id)."""

    def apply(self, current: Record | None, new: Sequence[Transaction]) -> Record:
        """The profile with ``new`` folded in (pure: no I/O; ``new`` holds only transactions not seen before)."""


# Updaters used when a caller passes none (the anomaly package registers its own on import).
PROFILE_UPDATERS: list[ProfileUpdater] = []


def _normalised(value: str | None) -> str:
    return " ".join(value.split()).casefold() if value else ""


def fingerprint(txn: Transaction, occurrence: int = 0) -> str:
    """Content hash of a transaction, for rows without ``transaction_id``: a resent row is recognised.

    ``occurrence`` numbers identical rows within one batch (two equal tea payments on one day are two rows).
    """
    content = [txn.user_id, txn.timestamp.isoformat(), repr(float(txn.amount)), txn.direction, txn.currency,
               _normalised(txn.merchant), _normalised(txn.category), txn.channel or "",
               _normalised(txn.description), occurrence]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:32]


def fingerprints(transactions: Sequence[Transaction]) -> list[str | None]:
    """The fingerprint of each row without a ``transaction_id`` (``None`` for rows with one)."""
    seen: Counter[str] = Counter()
    out: list[str | None] = []
    for txn in transactions:
        if txn.transaction_id:
            out.append(None)
            continue
        base = fingerprint(txn)
        out.append(fingerprint(txn, seen[base]) if seen[base] else base)
        seen[base] += 1
    return out


def compact(txn: Transaction, fp: str | None = None) -> dict[str, Any]:
    """The stored form of a transaction (short keys; no description, which may hold PII)."""
    record = {
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
    if fp is not None:
        record["fp"] = fp
    return record


def expand(record: dict[str, Any], user_id: str) -> Transaction:
    """A stored transaction back as a :class:`Transaction`."""
    return Transaction(
        user_id=user_id, timestamp=record["ts"], amount=record["amount"], currency=record["currency"],
        direction=record["direction"], transaction_id=record.get("id"), merchant=record.get("merchant"),
        category=record.get("category"), channel=record.get("channel"), city=record.get("city"),
        country=record.get("country"), latitude=record.get("lat"), longitude=record.get("lon"),
    )


def _identity(item: dict[str, Any]) -> tuple[str, str] | None:
    if item.get("id"):
        return ("id", item["id"])
    if item.get("fp"):
        return ("fp", item["fp"])
    return None  # stored before fingerprints existed


def _merge(existing: Record | None, new: Iterable[dict[str, Any]], limit: int) -> tuple[Record, list[int]]:
    """History with ``new`` appended (known ids and fingerprints skipped) and the indices of the rows added."""
    current = list(existing["transactions"]) if existing else []
    seen = {ident for ident in map(_identity, current) if ident}
    added: list[int] = []
    for i, item in enumerate(new):
        ident = _identity(item)
        if ident in seen:
            continue
        if ident:
            seen.add(ident)
        current.append(item)
        added.append(i)
    current.sort(key=lambda t: t["ts"])
    return {"transactions": current[-limit:],
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}, added


def ingest_transactions(store: OnlineStore, user_id: str, transactions: Sequence[Transaction],
                        ttl_s: int, max_history: int,
                        updaters: Sequence[ProfileUpdater] | None = None) -> dict[str, int]:
    """Append a user's transactions and refresh their profiles, atomically; a resent batch is a no-op.

    Rows are recognised by ``transaction_id``, or by their content fingerprint when they have none.
    History and profiles are written together or not at all (see :meth:`OnlineStore.update_many`).
    """
    chosen = list(PROFILE_UPDATERS if updaters is None else updaters)
    new = [compact(t, fp) for t, fp in zip(transactions, fingerprints(transactions), strict=True)]
    history_key: RecordKey = (HISTORY_NS, user_id)
    outcome = {"added": 0, "stored": 0}

    def apply(current: dict[RecordKey, Record | None]) -> dict[RecordKey, Record]:
        history, added = _merge(current[history_key], new, max_history)
        outcome.update(added=len(added), stored=len(history["transactions"]))
        if not added:
            return {}  # nothing new: write nothing
        fresh = [transactions[i] for i in added]
        written = {history_key: history}
        for updater in chosen:
            written[(updater.namespace, user_id)] = updater.apply(current[(updater.namespace, user_id)], fresh)
        return written

    store.update_many([history_key, *((u.namespace, user_id) for u in chosen)], apply, ttl_s=ttl_s)
    return {"received": len(transactions), **outcome}


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
