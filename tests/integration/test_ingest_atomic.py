"""No half-written ingest: history and profiles land together or not at all (real Redis killed, SQLite rollback)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nivesh_ml.data.schemas import Transaction
from nivesh_ml.errors import StoreUnavailable
from nivesh_ml.features.redis_store import RedisStore
from nivesh_ml.features.repository import ProfileUpdater, TransactionRepository
from nivesh_ml.features.sqlite_store import SQLiteStore
from nivesh_ml.features.store import OnlineStore, Record
from nivesh_ml.models.anomaly import PROFILE_NS, AnomalyProfileUpdater
from nivesh_ml.redis_conn import redis_client
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def batch(start: int, count: int) -> list[Transaction]:
    """``count`` payments; every third has no ``transaction_id`` (recognised by its content on a retry)."""
    return [Transaction(user_id="u", timestamp=f"2025-01-{1 + i % 28:02d}T{8 + i % 12:02d}:15:00",
                        amount=50.0 + 7 * i, merchant=f"shop {i % 5}", category=("food", "fuel", "rent")[i % 3],
                        transaction_id=None if i % 3 == 0 else f"t{i}", description=f"UPI/{i}")
            for i in range(start, start + count)]


def state(store: OnlineStore) -> tuple[int, int]:
    """(transactions in the history, transactions folded into the anomaly profile)."""
    repo = TransactionRepository(store, [])
    profile = repo.profile(PROFILE_NS, "u")
    return (len(repo.histories(["u"])["u"]), int(profile["n"]) if profile else 0)


def ingest(store: OnlineStore, txns: list[Transaction], updater: ProfileUpdater | None = None) -> dict[str, int]:
    """Ingest with the anomaly profile kept (or ``updater`` in its place)."""
    repo = TransactionRepository(store, [updater or AnomalyProfileUpdater()], ttl_s=3600, max_history=5000)
    return repo.ingest("u", txns).as_dict()


@dataclass(frozen=True)
class FailingUpdater:
    """The anomaly profile updater, with a failure injected after the history was merged."""

    fail: Any
    namespace: str = PROFILE_NS

    def apply(self, current: Record | None, new: Sequence[Transaction]) -> Record:
        self.fail()
        return AnomalyProfileUpdater().apply(current, new)


class RedisServer:
    """A redis-server of this test alone (so it can be killed), persisting every write (AOF, fsync always)."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run `make test` (it installs it)")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            self.kill()
            pytest.fail("redis-server did not start")
        redis_client(self.url).connection_pool.disconnect()  # drop sockets to the previous process
        while True:  # until the append-only file is loaded
            try:
                redis_client(self.url).ping()
                return
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


def test_redis_killed_mid_ingest_leaves_no_half_written_user(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url)
    first, second = batch(0, 30), batch(30, 20)
    assert ingest(store, first)["added"] == 30
    assert state(store) == (30, 30)

    # The server dies after the history was merged, before anything of the batch was applied.
    with pytest.raises(StoreUnavailable):
        ingest(store, second, FailingUpdater(redis_server.kill))
    redis_server.start()
    assert state(store) == (30, 30)  # all of the first batch, nothing of the second

    retried = ingest(store, second)
    assert retried == {"received": 20, "added": 20, "stored": 50}
    assert state(store) == (50, 50)
    again = ingest(store, first + second)
    assert again == {"received": 50, "added": 0, "stored": 50}
    assert state(store) == (50, 50)


def test_redis_down_before_ingest_is_store_unavailable(redis_server: RedisServer) -> None:
    store = RedisStore(redis_server.url)
    redis_server.kill()
    with pytest.raises(StoreUnavailable):
        ingest(store, batch(0, 3))
    assert store.ping() is False


def test_sqlite_failure_mid_transaction_rolls_back(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "fs.db")
    first, second = batch(0, 30), batch(30, 20)
    ingest(store, first)

    def boom() -> None:
        raise RuntimeError("injected failure between the history and the profile write")

    with pytest.raises(RuntimeError, match="injected"):
        ingest(store, second, FailingUpdater(boom))
    assert state(store) == (30, 30)
    assert ingest(store, second)["added"] == 20
    assert ingest(store, second)["added"] == 0
    assert state(store) == (50, 50)
    store.close()
