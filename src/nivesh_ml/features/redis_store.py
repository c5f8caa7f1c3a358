"""Redis online store for production: shared by every server replica."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from nivesh_ml.errors import UpstreamUnavailable
from nivesh_ml.features.store import OnlineStore, Record, Updater
from nivesh_ml.redis_conn import RedisError, WatchError, redis_client

MAX_UPDATE_RETRIES = 200


class RedisStore(OnlineStore):
    """Records as JSON strings under ``<prefix>:<namespace>:<key>``; optimistic locking for updates."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "nivesh:fs") -> None:
        self.url = url
        self.prefix = prefix

    @property
    def _r(self):  # type: ignore[no-untyped-def]
        return redis_client(self.url)

    def _key(self, namespace: str, key: str) -> str:
        return f"{self.prefix}:{namespace}:{key}"

    def get(self, namespace: str, key: str) -> Record | None:
        raw = self._r.get(self._key(namespace, key))
        return json.loads(raw) if raw else None

    def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record | None]:
        if not keys:
            return {}
        values = self._r.mget([self._key(namespace, k) for k in keys])
        return {k: (json.loads(v) if v else None) for k, v in zip(keys, values, strict=True)}

    def put(self, namespace: str, key: str, value: Record, ttl_s: int | None = None) -> None:
        self._r.set(self._key(namespace, key), json.dumps(value), ex=ttl_s)

    def update(self, namespace: str, key: str, fn: Updater, ttl_s: int | None = None) -> Record:
        full = self._key(namespace, key)
        with self._r.pipeline() as pipe:
            for _ in range(MAX_UPDATE_RETRIES):
                try:
                    pipe.watch(full)
                    raw = pipe.get(full)
                    new = fn(json.loads(raw) if raw else None)
                    pipe.multi()
                    pipe.set(full, json.dumps(new), ex=ttl_s)
                    pipe.execute()
                    return new
                except WatchError:
                    continue
        raise UpstreamUnavailable(f"could not update {namespace}/{key}: too much contention")

    def delete(self, namespace: str, key: str) -> None:
        self._r.delete(self._key(namespace, key))

    def keys(self, namespace: str) -> Iterator[str]:
        start = len(self.prefix) + len(namespace) + 2
        return iter(sorted(k[start:] for k in self._r.scan_iter(match=self._key(namespace, "*"), count=1000)))

    def ping(self) -> bool:
        try:
            return bool(self._r.ping())
        except RedisError:
            return False
