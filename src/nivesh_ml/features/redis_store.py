"""Redis online store for production: shared by every server replica."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from nivesh_ml.errors import StoreBusy, StoreUnavailable
from nivesh_ml.features.codec import decode, encode
from nivesh_ml.features.store import ManyUpdater, OnlineStore, Record, RecordKey, check_written_keys
from nivesh_ml.redis_conn import UNAVAILABLE_ERRORS, RedisError, WatchError, redis_client

MAX_UPDATE_RETRIES = 200


class RedisStore(OnlineStore):
    """Records as JSON strings under ``<prefix>:<namespace>:<key>``; optimistic locking for updates."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "nivesh:fs") -> None:
        self.url = url
        self.prefix = prefix

    @contextmanager
    def _guard(self) -> Iterator[Any]:
        """The pooled client; connection failures, timeouts and a loading server as store errors."""
        try:
            yield redis_client(self.url)
        except UNAVAILABLE_ERRORS as exc:
            raise StoreUnavailable(f"feature store unavailable: {type(exc).__name__}") from exc

    def _key(self, namespace: str, key: str) -> str:
        return f"{self.prefix}:{namespace}:{key}"

    def get(self, namespace: str, key: str) -> Record | None:
        with self._guard() as r:
            raw = r.get(self._key(namespace, key))
        return decode(raw) if raw else None

    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record | None]:
        if not keys:
            return {}
        with self._guard() as r:
            values = r.mget([self._key(namespace, k) for k in keys])
        return {k: (decode(v) if v else None) for k, v in zip(keys, values, strict=True)}

    def put(self, namespace: str, key: str, value: Record, ttl_s: int | None = None) -> None:
        with self._guard() as r:
            r.set(self._key(namespace, key), encode(value), ex=ttl_s)

    def update_many(self, keys: Sequence[RecordKey], fn: ManyUpdater,
                    ttl_s: int | None = None) -> dict[RecordKey, Record]:
        full = {k: self._key(*k) for k in keys}
        with self._guard() as r, r.pipeline() as pipe:
            for _ in range(MAX_UPDATE_RETRIES):
                try:
                    pipe.watch(*full.values())
                    raws = pipe.mget(list(full.values()))
                    new = fn({k: (decode(raw) if raw else None) for k, raw in zip(full, raws, strict=True)})
                    check_written_keys(keys, new)
                    if not new:
                        pipe.unwatch()
                        return new
                    pipe.multi()  # everything below is sent and applied as one MULTI/EXEC, or not at all
                    for k, value in new.items():
                        pipe.set(full[k], encode(value), ex=ttl_s)
                    pipe.execute()
                    return new
                except WatchError:
                    continue
        raise StoreBusy(f"could not update {sorted(keys)}: too much contention")

    def delete(self, namespace: str, key: str) -> None:
        with self._guard() as r:
            r.delete(self._key(namespace, key))

    def keys(self, namespace: str) -> Iterator[str]:
        start = len(self.prefix) + len(namespace) + 2
        with self._guard() as r:
            found = sorted(k[start:] for k in r.scan_iter(match=self._key(namespace, "*"), count=1000))
        return iter(found)

    def ping(self) -> bool:
        try:
            with self._guard() as r:
                return bool(r.ping())
        except (RedisError, StoreUnavailable):
            return False
