"""In-process LRU cache with expiry (the default; one per worker), bounded in items and in bytes."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from nivesh_ml.cache.base import NO_GENERATION, Cache

ENTRY_OVERHEAD = 200  # bytes of bookkeeping per entry (tuple, dict slot), on top of key and JSON text


class MemoryCache(Cache):
    """Values are kept as their JSON text, so their size is known and a hit cannot be mutated by a caller."""

    backend = "memory"

    def __init__(self, max_items: int, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, tuple[float, str, int]] = OrderedDict()
        # Generations: a bounded table; a scope pushed out of it reads the floor, which moves past every
        # value handed out so far, so forgetting a scope invalidates it rather than resurrecting old entries.
        self._gens: OrderedDict[str, str] = OrderedDict()
        self._floor = NO_GENERATION
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _drop(self, key: str) -> None:
        self.bytes -= self._items.pop(key)[2]

    def get(self, key: str) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                self._drop(key)
                return None
            self._items.move_to_end(key)
            text = item[1]
        return json.loads(text)

    def set(self, key: str, value: Any, ttl_s: int) -> None:
        text = json.dumps(value, default=str)
        size = len(key) + len(text) + ENTRY_OVERHEAD
        with self._lock:
            if key in self._items:
                self._drop(key)
            if size > self.max_bytes:
                return  # larger than the whole cache: not kept
            self._items[key] = (time.monotonic() + ttl_s, text, size)
            self.bytes += size
            while len(self._items) > self.max_items or self.bytes > self.max_bytes:
                self._drop(next(iter(self._items)))

    def generations(self, scopes: Sequence[str]) -> list[str]:
        with self._lock:
            return [self._gens.get(scope, self._floor) for scope in scopes]

    def new_generation(self, scope: str, ttl_s: int) -> None:
        with self._lock:
            self._gens[scope] = str(next(self._counter))
            self._gens.move_to_end(scope)
            if len(self._gens) > self.max_items:
                self._gens.popitem(last=False)
                self._floor = str(next(self._counter))
