"""``data ingest``: bulk, idempotent backfill of the feature store from a transactions file, on the batch engine.

The file is shuffled so that each user's rows sit in one partition; each partition validates its rows one by
one (a bad row is reported with its line and reason and skipped, never fatal), sorts each user's rows by time
and writes users in chunks through :meth:`TransactionRepository.ingest_many` (one store transaction or
pipeline per chunk). Rows already stored are recognised by id or content fingerprint, so running the same
file twice leaves the same stored state.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from nivesh_ml.config import Settings
from nivesh_ml.data.schemas import CHANNELS, CURRENCIES, DIRECTIONS, Transaction
from nivesh_ml.errors import StoreBusy
from nivesh_ml.features.factory import create_store
from nivesh_ml.features.repository import PreparedUser, TransactionRepository, compact_record, fingerprint_fields
from nivesh_ml.models.spending.batch import store_settings
from nivesh_ml.pipelines.batch import LINE, EngineOptions, Progress, by_user, read_rows, run_partitions
from nivesh_ml.pipelines.wiring import transaction_repository

log = logging.getLogger(__name__)
MAX_REPORTED = 50
USERS_PER_WRITE = 200
BUSY_RETRIES = 8
_EPOCH = datetime(1970, 1, 1)


def _row_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(map(str, first["loc"])) or "row"
    return f"{field}: {first['msg']}"


def valid_transactions(part: pd.DataFrame) -> tuple[list[tuple[int, Transaction]], list[dict[str, Any]]]:
    """Each row as a :class:`Transaction` with its line, and the rows that are not, with line and reason."""
    good: list[tuple[int, Transaction]] = []
    bad: list[dict[str, Any]] = []
    columns = [c for c in part.columns if c != LINE]
    for line, *values in part[[LINE, *columns]].itertuples(index=False, name=None):
        row = {k: v for k, v in zip(columns, values, strict=True)
               if not (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)))}
        try:
            good.append((int(line), Transaction.model_validate(row)))
        except ValidationError as exc:
            bad.append({"line": int(line), "error": _row_error(exc)})
    return good, bad


_TEXT = ("transaction_id", "merchant", "category", "city", "country")
_CANON = ("user_id", "ts_us", "amount", "currency", "direction", "transaction_id", "merchant", "category",
          "channel", "description", "city", "country", "latitude", "longitude", LINE)
_ISO_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", re.ASCII)
_DECIMAL_RE = re.compile(r"-?\d{1,12}(\.\d{1,12})?", re.ASCII)
_SECONDS_FORMAT = "%Y-%m-%dT%H:%M:%S"


def _missing(col: pd.Series) -> np.ndarray:
    return col.isna().to_numpy()


# Every character ``str.isspace()`` holds (what ``str.strip()``, hence the schema, removes), as code point ranges;
# tests/integration/test_batch.py checks the list against Python.
STRIP_RANGES = ((0x9, 0xD), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
                (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000))
_SPACE = "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in STRIP_RANGES) + "]"
_EDGE_SPACE = f"^{_SPACE}|{_SPACE}$"  # RE2 (linear time): a string that str.strip() would change


def _plain_text(col: pd.Series, max_length: int) -> np.ndarray:
    """Strings that the schema keeps as they are: 1..max_length characters, nothing to strip.

    Checked in Arrow (C++, RE2) when the column converts to Arrow strings; else element by element in Python.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = col.to_numpy(dtype=object)
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, ValueError, TypeError, UnicodeError):  # numbers, lone surrogates, ...
        return np.fromiter((isinstance(v, str) and 1 <= len(v) <= max_length and v.strip() == v for v in values),
                           dtype=bool, count=len(values))
    lengths = pc.utf8_length(arr)
    ok = pc.and_(pc.and_(pc.greater_equal(lengths, 1), pc.less_equal(lengths, max_length)),
                 pc.invert(pc.match_substring_regex(arr, _EDGE_SPACE)))
    return np.asarray(ok.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _floats(col: pd.Series, missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values as floats (as the schema parses them) and where they are plain numbers (or missing)."""
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        values = col.to_numpy(dtype=float, na_value=np.nan)
        return values, np.isfinite(values) | missing
    obj = col.astype(object)
    values = np.full(len(col), np.nan)
    plain = np.zeros(len(col), dtype=bool)
    for i, v in enumerate(obj.tolist()):  # strings as float() reads them; numbers as they are
        if isinstance(v, str):
            if _DECIMAL_RE.fullmatch(v):
                values[i], plain[i] = float(v), True
        elif isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            values[i], plain[i] = float(v), True
    return values, plain | missing


def fast_valid(part: pd.DataFrame) -> np.ndarray:
    """Rows that :class:`Transaction` accepts without changing a value (column-wise checks; every other row is
    validated one by one, so a row accepted here is exactly what the schema would accept)."""
    n = len(part)
    ok = np.ones(n, dtype=bool)
    user = part["user_id"]
    ok &= _plain_text(user, 200)
    ts = part["timestamp"]
    if pd.api.types.is_datetime64_any_dtype(ts.dtype):
        ok &= ts.notna().to_numpy() & (getattr(ts.dt, "tz", None) is None)
        ok &= (ts.dt.microsecond == 0).to_numpy() & (ts.dt.nanosecond == 0).to_numpy()
    else:
        shaped = np.array([isinstance(v, str) and _ISO_SECONDS.fullmatch(v) is not None for v in ts.tolist()],
                          dtype=bool)
        parsed = pd.to_datetime(ts.where(shaped, None), format=_SECONDS_FORMAT, errors="coerce")
        ok &= shaped & parsed.notna().to_numpy()  # a real date (not 2025-02-30)
    amount, plain = _floats(part["amount"], np.zeros(n, dtype=bool))
    with np.errstate(invalid="ignore"):
        ok &= plain & (amount > 0) & (amount < 1e11)
    for col, allowed in (("currency", CURRENCIES), ("direction", DIRECTIONS), ("channel", CHANNELS)):
        if col in part.columns:
            values = part[col]
            ok &= _missing(values) | values.isin(list(allowed)).to_numpy()
    for col in _TEXT:
        if col in part.columns:
            ok &= _missing(part[col]) | _plain_text(part[col], 200)
    if "description" in part.columns:
        ok &= _missing(part["description"]) | _plain_text(part["description"], 500)
    for col, bound in (("latitude", 90.0), ("longitude", 180.0)):
        if col in part.columns:
            missing = _missing(part[col])
            numbers, plain = _floats(part[col], missing)
            with np.errstate(invalid="ignore"):
                ok &= plain & (missing | (np.abs(numbers) <= bound))
    return ok


def canonical_rows(part: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The valid rows as typed columns (``_CANON``), and the invalid ones with line and reason.

    Rows that pass :func:`fast_valid` are converted column-wise; the rest go through :class:`Transaction` one
    by one (the reasons are the schema's).
    """
    fast = fast_valid(part)
    rows = part[fast]
    n = len(rows)
    out = pd.DataFrame({"user_id": rows["user_id"].astype(object).to_numpy()})
    ts = rows["timestamp"]
    if not pd.api.types.is_datetime64_any_dtype(ts.dtype):
        ts = pd.to_datetime(ts, format=_SECONDS_FORMAT)
    out["ts_us"] = ts.to_numpy().astype("datetime64[us]").astype(np.int64)
    out["amount"] = _floats(rows["amount"], np.zeros(n, dtype=bool))[0]
    for col, default in (("currency", "INR"), ("direction", "debit")):
        out[col] = rows[col].astype(object).fillna(default).to_numpy() if col in rows.columns else default
    for col in (*_TEXT, "channel", "description"):
        out[col] = rows[col].astype(object).where(rows[col].notna(), None).to_numpy() if col in rows.columns \
            else None
    for col in ("latitude", "longitude"):
        out[col] = _floats(rows[col], _missing(rows[col]))[0] if col in rows.columns else np.nan
    out[LINE] = rows[LINE].to_numpy()
    good, bad = valid_transactions(part[~fast])
    if good:
        slow = pd.DataFrame([{**t.model_dump(), "ts_us": _micros(t.timestamp), LINE: line} for line, t in good])
        out = pd.concat([out, slow[list(_CANON)]], ignore_index=True)
    out["latitude"] = out["latitude"].astype(float)
    out["longitude"] = out["longitude"].astype(float)
    return out, bad


def _micros(value: datetime) -> int:
    return int((value - _EPOCH) // timedelta(microseconds=1))


def _iso(ts_us: np.ndarray) -> list[str]:
    """``datetime.isoformat()`` of naive timestamps given in microseconds since 1970."""
    seconds = ts_us // 1_000_000
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").tolist()
    fractions = ts_us % 1_000_000
    if fractions.any():
        text = [t if f == 0 else f"{t}.{f:06d}" for t, f in zip(text, fractions.tolist(), strict=True)]
    return text


def _none(values: np.ndarray) -> list[Any]:
    """The values as a list with ``None`` for every missing one (``None`` or NaN)."""
    out = values.tolist()
    for i in np.flatnonzero(pd.isna(values)).tolist():
        out[i] = None
    return out


def prepared_users(rows: pd.DataFrame, max_categories: int | None) -> dict[str, PreparedUser]:
    """Each user's rows in stored form, oldest first (ties in file order), with a bulk profile builder
    (``max_categories``: the anomaly profile's cap; ``None``: the updaters fold the rows themselves)."""
    from nivesh_ml.models.anomaly.batch import bulk_profile
    from nivesh_ml.models.anomaly.features import RATES_TO_INR
    from nivesh_ml.models.anomaly.profile import PROFILE_NS

    if rows.empty:
        return {}
    order = np.lexsort((rows[LINE].to_numpy(), rows["ts_us"].to_numpy(), rows["user_id"].to_numpy()))
    rows = rows.iloc[order].reset_index(drop=True)
    users = rows["user_id"].to_numpy()
    starts = np.r_[0, np.flatnonzero(users[1:] != users[:-1]) + 1, len(rows)]
    ts_us = rows["ts_us"].to_numpy()
    iso = _iso(ts_us)
    secs = (ts_us // 1_000_000).tolist()
    amount = rows["amount"].to_numpy(dtype=float)
    currency = rows["currency"].tolist()
    inr = (amount * rows["currency"].map(RATES_TO_INR).fillna(1.0).to_numpy(dtype=float)).tolist()
    amount_l = amount.tolist()
    direction = rows["direction"].tolist()
    credit = [d == "credit" for d in direction]
    text = {c: _none(rows[c].to_numpy()) for c in (*_TEXT, "channel", "description")}
    lower = [c.lower() if c else None for c in text["category"]]
    lat, lon = _none(rows["latitude"].to_numpy()), _none(rows["longitude"].to_numpy())
    ids = text["transaction_id"]
    stored = [compact_record(*values) for values in zip(
        ids, iso, amount_l, currency, direction, text["merchant"], lower, text["channel"], text["city"],
        text["country"], lat, lon, strict=True)]
    without_id = np.flatnonzero(np.fromiter((not v for v in ids), dtype=bool, count=len(ids)))
    out: dict[str, PreparedUser] = {}
    for start, end in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True):
        user = str(users[start])
        records = stored[start:end]
        seen: Counter[str] = Counter()
        first, last = np.searchsorted(without_id, [start, end]).tolist()
        for i in without_id[first:last].tolist():  # no id: named by content (and its occurrence in the batch)
            base = fingerprint_fields(user, iso[i], amount_l[i], direction[i], currency[i], text["merchant"][i],
                                      text["category"][i], text["channel"][i], text["description"][i])
            records[i - start]["fp"] = base if not seen[base] else fingerprint_fields(
                user, iso[i], amount_l[i], direction[i], currency[i], text["merchant"][i], text["category"][i],
                text["channel"][i], text["description"][i], seen[base])
            seen[base] += 1

        def profiles(added: list[int], start: int = start, end: int = end) -> dict[str, Any] | None:
            if max_categories is None:
                return None
            pick = [start + i for i in added]

            def take(column: list[Any]) -> list[Any]:
                if len(pick) == end - start:  # every row (positions are distinct and ascending): a slice
                    return column[start:end]
                return [column[i] for i in pick]

            profile = bulk_profile(take(secs), take(inr), take(credit), take(currency), take(text["merchant"]),
                                   take(lower), take(text["channel"]), take(text["city"]), take(text["country"]),
                                   take(lat), take(lon), take(ids), max_categories)
            return None if profile is None else {PROFILE_NS: profile}

        out[user] = PreparedUser(records=records, profiles=profiles)
    return out


def _chunks(users: dict[str, PreparedUser], size: int) -> Iterator[dict[str, PreparedUser]]:
    names = list(users)
    for start in range(0, len(names), size):
        yield {name: users[name] for name in names[start:start + size]}


def _bulk_categories(repository: TransactionRepository) -> int | None:
    """The anomaly profile's category cap when it is the only profile kept (then profiles are built in bulk)."""
    from nivesh_ml.models.anomaly.profile import AnomalyProfileUpdater

    updaters = repository.updaters
    if len(updaters) == 1 and type(updaters[0]) is AnomalyProfileUpdater:
        return updaters[0].max_categories
    return None


def ingest_part(part: pd.DataFrame, number: int, store_data: dict[str, Any]) -> dict[str, Any]:
    """Validate and write one partition (whole users) into the store; returns counts and rejected rows."""
    started = time.process_time()
    rows, bad = canonical_rows(part)
    settings = Settings(**store_data)
    store = create_store(settings)
    repository = transaction_repository(settings, store)
    users = prepared_users(rows, _bulk_categories(repository))
    added = 0
    try:
        for chunk in _chunks(users, USERS_PER_WRITE):
            for attempt in range(BUSY_RETRIES):
                try:
                    added += sum(s.added for s in repository.ingest_prepared(chunk).values())
                    break
                except StoreBusy:  # another worker holds SQLite's write lock: wait our turn
                    if attempt == BUSY_RETRIES - 1:
                        raise
                    time.sleep(0.1 * 2 ** attempt)
    finally:
        store.close()
    bad.sort(key=lambda r: r["line"])
    return {"users": len(users), "transactions": len(rows), "added": added, "rejected": len(bad),
            "rejected_rows": bad[:MAX_REPORTED], "task_cpu_seconds": time.process_time() - started}


def ingest_file(settings: Settings, data: Path, options: EngineOptions,
                progress: Progress | None = None) -> dict[str, Any]:
    """Backfill every user of ``data`` into the feature store of ``settings``; the run's summary.

    Raises:
        InvalidInput: the file is missing, unreadable or lacks user_id, timestamp or amount.
    """
    frame = by_user(read_rows(data, options.partition_bytes, ("user_id", "timestamp", "amount"),
                              keep=tuple(Transaction.model_fields)),  # other columns are never parsed
                    partition_bytes=options.partition_bytes)
    worker_settings = {**store_settings(settings), "anomaly": settings.anomaly.model_dump(mode="json")}
    summaries, facts = run_partitions(frame, ingest_part, (worker_settings,), options, progress)
    rejected_rows = sorted((row for s in summaries for row in s["rejected_rows"]), key=lambda r: r["line"])
    totals = {key: sum(s[key] for s in summaries) for key in ("users", "transactions", "added", "rejected")}
    totals["task_cpu_seconds"] = round(sum(s["task_cpu_seconds"] for s in summaries), 1)
    seconds = facts["seconds"]
    store = create_store(settings)
    backend = store.backend
    store.close()
    return {**totals, "rejected_rows": rejected_rows[:MAX_REPORTED], "store": backend,
            **facts, "transactions_per_second": round(totals["transactions"] / seconds, 1) if seconds else None}
