"""Users' stored transactions and profiles: the only code that knows their keys and record layout.

Everything else reads and writes :class:`~nivesh_ml.data.schemas.Transaction` objects and profile records
through :class:`TransactionRepository`. An ingest writes the user's history and every profile in one atomic
store update (one SQLite transaction, one Redis MULTI/EXEC): a crash or an outage leaves the user with all
of a batch or none of it. The profiles kept are those of the updaters the repository is built with
(the server and the CLI pass theirs explicitly; there is no global list).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import NotFound
from nivesh_ml.features.store import OnlineStore, Record, RecordKey

_HISTORY_NS = "history"


class ProfileUpdater(Protocol):
    """A per-user profile kept in step with ingestion (e.g. the anomaly model's profile)."""

    @property
    def namespace(self) -> str:
        """Store namespace of the profile (keyed by user id)."""

    def apply(self, current: Record | None, new: Sequence[Transaction]) -> Record:
        """The profile with ``new`` folded in (pure: no I/O; ``new`` holds only transactions not seen before)."""


@dataclass(frozen=True)
class IngestSummary:
    """What one ingest did: rows received, rows new to the history, rows the history now holds."""

    received: int
    added: int
    stored: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _normalised(value: str | None) -> str:
    return " ".join(value.split()).casefold() if value else ""


def fingerprint(txn: Transaction, occurrence: int = 0) -> str:
    """Content hash of a transaction, for rows without ``transaction_id``: a resent row is recognised.

    ``occurrence`` numbers identical rows within one batch (two equal tea payments on one day are two rows).
    """
    return fingerprint_fields(txn.user_id, txn.timestamp.isoformat(), float(txn.amount), txn.direction,
                              txn.currency, txn.merchant, txn.category, txn.channel, txn.description, occurrence)


def fingerprint_fields(user_id: str, timestamp: str, amount: float, direction: str, currency: str,
                       merchant: str | None, category: str | None, channel: str | None, description: str | None,
                       occurrence: int = 0) -> str:
    """:func:`fingerprint` from a validated transaction's fields (``timestamp``: its ``isoformat()``)."""
    content = [user_id, timestamp, repr(float(amount)), direction, currency, _normalised(merchant),
               _normalised(category), channel or "", _normalised(description), occurrence]
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


@dataclass(frozen=True)
class PreparedUser:
    """One user's rows of a bulk backfill, already in stored form (a batch job builds these column-wise).

    ``records``: the rows as :func:`compact_record` gives them (``fp`` set on rows without an id), oldest first
    (ties in file order). ``profiles(added)``: the profiles of a user with no stored records, built from the
    records at positions ``added`` (those not duplicates within the batch), keyed by namespace; ``None``
    where the caller cannot build them in bulk (the updaters then fold the rows one by one).
    """

    records: list[dict[str, Any]]
    profiles: Callable[[list[int]], dict[str, Record] | None]


def compact_record(transaction_id: str | None, timestamp: str, amount: float, currency: str, direction: str,
                   merchant: str | None, category: str | None, channel: str | None, city: str | None,
                   country: str | None, lat: float | None, lon: float | None, fp: str | None = None) -> dict[str, Any]:
    """The stored form of a validated transaction from its fields (``timestamp``: ``isoformat()``;
    ``category`` lower-cased): what :func:`_compact` gives for the same :class:`Transaction`."""
    record = {"id": transaction_id, "ts": timestamp, "amount": amount, "currency": currency, "direction": direction,
              "merchant": merchant, "category": category, "channel": channel, "city": city, "country": country,
              "lat": lat, "lon": lon}
    if fp is not None:
        record["fp"] = fp
    return record


def _compact(txn: Transaction, fp: str | None = None) -> dict[str, Any]:
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


def _expand(record: dict[str, Any], user_id: str) -> Transaction:
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


def _transactions(record: Record | None, user_id: str) -> list[Transaction]:
    return [_expand(r, user_id) for r in record.get("transactions") or ()] if record else []


class TransactionRepository:
    """Per-user transaction history and profiles in an online store.

    Args:
        store: the online store (SQLite or Redis).
        updaters: the profiles kept in step with every ingest (none: history only, e.g. a read-only caller).
        ttl_s: lifetime of a user's records after their last ingest (``None``: no expiry).
        max_history: most recent transactions kept per user.
    """

    def __init__(self, store: OnlineStore, updaters: Sequence[ProfileUpdater], *, ttl_s: int | None = None,
                 max_history: int = 5000) -> None:
        namespaces = [u.namespace for u in updaters]
        if _HISTORY_NS in namespaces or len(set(namespaces)) != len(namespaces):
            raise ValueError(f"profile updaters need distinct namespaces other than {_HISTORY_NS!r}: {namespaces}")
        self.store = store
        self.updaters = tuple(updaters)
        self.ttl_s = ttl_s
        self.max_history = max_history

    @classmethod
    def from_settings(cls, store: OnlineStore, settings: Settings,
                      updaters: Sequence[ProfileUpdater]) -> TransactionRepository:
        """A repository with the feature store's TTL and history cap from ``settings``."""
        fs = settings.feature_store
        return cls(store, updaters, ttl_s=fs.ttl_days * 86400, max_history=fs.history_max_transactions)

    def ingest(self, user_id: str, transactions: Sequence[Transaction]) -> IngestSummary:
        """Append a user's transactions and refresh their profiles, atomically; a resent batch is a no-op.

        Rows are recognised by ``transaction_id``, or by their content fingerprint when they have none.
        History and profiles are written together or not at all (see :meth:`OnlineStore.update_many`).

        Raises:
            StoreUnavailable, StoreBusy: the store failed or its write lock was not had in time.
        """
        new = [_compact(t, fp) for t, fp in zip(transactions, fingerprints(transactions), strict=True)]
        history_key: RecordKey = (_HISTORY_NS, user_id)
        outcome = {"added": 0, "stored": 0}

        def apply(current: dict[RecordKey, Record | None]) -> dict[RecordKey, Record]:
            history, added = _merge(current[history_key], new, self.max_history)
            outcome.update(added=len(added), stored=len(history["transactions"]))
            if not added:
                return {}  # nothing new: write nothing
            fresh = [transactions[i] for i in added]
            written = {history_key: history}
            for updater in self.updaters:
                key = (updater.namespace, user_id)
                written[key] = updater.apply(current[key], fresh)
            return written

        self.store.update_many([history_key, *((u.namespace, user_id) for u in self.updaters)], apply,
                               ttl_s=self.ttl_s)
        return IngestSummary(received=len(transactions), **outcome)

    def ingest_many(self, batches: Mapping[str, Sequence[Transaction]]) -> dict[str, IngestSummary]:
        """:meth:`ingest` for many users in one batched store write (a bulk backfill); a resent file is a no-op.

        Each user's rows are deduplicated against their history exactly as :meth:`ingest` does (ids, else
        content fingerprints numbered within the user's batch), so give all of a user's rows of a file in one
        call. Every record of every user is read, and the changed ones written, in one
        :meth:`OnlineStore.update_many` (one SQLite transaction with ``executemany``; one Redis MULTI/EXEC).

        Raises:
            StoreUnavailable, StoreBusy: the store failed or its write lock was not had in time.
        """
        new = {user: [_compact(t, fp) for t, fp in zip(rows, fingerprints(rows), strict=True)]
               for user, rows in batches.items()}
        keys = self._record_keys(batches)
        summaries: dict[str, IngestSummary] = {}

        def apply(current: dict[RecordKey, Record | None]) -> dict[RecordKey, Record]:
            written: dict[RecordKey, Record] = {}
            for user, rows in batches.items():
                history, added = _merge(current[(_HISTORY_NS, user)], new[user], self.max_history)
                summaries[user] = IngestSummary(received=len(rows), added=len(added),
                                                stored=len(history["transactions"]))
                if not added:
                    continue
                fresh = [rows[i] for i in added]
                written[(_HISTORY_NS, user)] = history
                for updater in self.updaters:
                    key = (updater.namespace, user)
                    written[key] = updater.apply(current[key], fresh)
            return written

        if keys:
            self.store.update_many(keys, apply, ttl_s=self.ttl_s)
        return summaries

    def _record_keys(self, users: Iterable[str]) -> list[RecordKey]:
        """The history key and every updater's key of each user: what one batched write locks."""
        return [key for user in users
                for key in [(_HISTORY_NS, user), *((u.namespace, user) for u in self.updaters)]]

    def ingest_prepared(self, batches: Mapping[str, PreparedUser]) -> dict[str, IngestSummary]:
        """:meth:`ingest_many` for rows already in stored form: one batched store write for many users.

        A user with no stored records gets the history and the profiles built in bulk (``PreparedUser``);
        a user with some (a re-run, or rows that arrived since) is merged exactly as :meth:`ingest` merges, the
        updaters folding in only the rows not stored yet, so a resent file is a no-op. All in one
        :meth:`OnlineStore.update_many` (one SQLite transaction with ``executemany``; one Redis MULTI/EXEC).

        Raises:
            StoreUnavailable, StoreBusy: the store failed or its write lock was not had in time.
        """
        keys = self._record_keys(batches)
        summaries: dict[str, IngestSummary] = {}

        def apply(current: dict[RecordKey, Record | None]) -> dict[RecordKey, Record]:
            written: dict[RecordKey, Record] = {}
            for user, prepared in batches.items():
                history, added = _merge(current[(_HISTORY_NS, user)], prepared.records, self.max_history)
                summaries[user] = IngestSummary(received=len(prepared.records), added=len(added),
                                                stored=len(history["transactions"]))
                if not added:
                    continue
                written[(_HISTORY_NS, user)] = history
                fresh = all(current[key] is None for key in keys_of(user))
                built = prepared.profiles(added) if fresh else None
                if built is not None and set(built) == {u.namespace for u in self.updaters}:
                    written.update({(namespace, user): profile for namespace, profile in built.items()})
                    continue
                rows = [_expand(prepared.records[i], user) for i in added]
                for updater in self.updaters:
                    key = (updater.namespace, user)
                    written[key] = updater.apply(current[key], rows)
            return written

        def keys_of(user: str) -> list[RecordKey]:
            return [(_HISTORY_NS, user), *((u.namespace, user) for u in self.updaters)]

        if keys:
            self.store.update_many(keys, apply, ttl_s=self.ttl_s)
        return summaries

    def history(self, user_id: str) -> list[Transaction]:
        """Every stored transaction of a user, oldest first.

        Raises:
            NotFound: the user has no stored history.
        """
        found = _transactions(self.store.get(_HISTORY_NS, user_id), user_id)
        if not found:
            raise NotFound(f"no transactions stored for user {user_id!r}; POST /transactions first "
                           "or send 'transactions' inline")
        return found

    def histories(self, user_ids: Sequence[str]) -> dict[str, list[Transaction]]:
        """Stored transactions of many users in one store round trip (an empty list for a user without any)."""
        records = self.store.get_many(_HISTORY_NS, user_ids)
        return {user_id: _transactions(records.get(user_id), user_id) for user_id in user_ids}

    def users(self) -> Iterator[str]:
        """Every user with a live stored history."""
        return self.store.keys(_HISTORY_NS)

    def profile(self, namespace: str, user_id: str) -> Record | None:
        """A user's profile kept by the updater of ``namespace`` (``None`` for a user never ingested)."""
        if namespace == _HISTORY_NS:
            raise ValueError("the history is read with history(), not as a profile")
        return self.store.get(namespace, user_id)
