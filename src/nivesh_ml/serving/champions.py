"""Every worker of every replica serves the registry's champion: a poll of the alias plus Redis pub/sub.

Each worker process runs one :class:`ChampionSync`. A poll thread compares, every ``server.champion_poll_s``,
the version each model's champion alias names with the version this worker serves (one registry call per
model, nothing downloaded) and reloads through :meth:`ModelManager.reload` only when they differ, so the
verified, old-serves-until-new-is-ready path is the one used. When Redis is configured a second thread listens
on ``server.champion_channel``: ``nivesh-ml models promote``, ``train --promote`` and
``POST /models/{name}/reload`` publish there (see :func:`nivesh_ml.registry.publish_champion`), so a promotion
reaches every worker within seconds instead of one poll interval.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from nivesh_ml.config import Settings
from nivesh_ml.errors import NiveshError
from nivesh_ml.registry import ModelRegistry
from nivesh_ml.serving.models import ModelManager

log = logging.getLogger(__name__)


class ChampionSync:
    """Keeps one worker's served versions equal to the champion aliases; reports how long they differed."""

    def __init__(self, settings: Settings, registry: ModelRegistry, models: ModelManager,
                 on_reload: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.registry = registry
        self.models = models
        self.poll_s = settings.server.champion_poll_s
        self.channel = settings.server.champion_channel
        self.on_reload = on_reload
        self.clock = clock
        self._champions: dict[str, str | None] = {}  # last alias version seen per model
        self._differs_since: dict[str, float] = {}  # model -> when this worker was first seen off the champion
        self._lock = threading.Lock()
        self._check_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- checking -----------------------------------------------------------------------------------
    def check(self, name: str) -> bool:
        """Compare ``name``'s champion alias with the served version; reload when they differ.

        Returns True when a new version was loaded. Registry and load failures are logged, not raised: the
        served version keeps serving and the next poll or message tries again.
        """
        with self._check_lock:
            try:
                champion = self.registry.champion_version(name)
            except Exception as exc:  # registry down: nothing to compare with, keep serving
                log.warning("champion check of %s failed: %s", name, type(exc).__name__)
                return False
            served = self.models.served_version(name)
            with self._lock:
                self._champions[name] = champion
            if served is None:  # not loaded at all: the manager's background retry owns it
                return False
            if champion is None or champion == served:
                self._mark(name, differs=False)
                return False
            self._mark(name, differs=True)
            log.info("champion of %s is v%s, this worker serves %s: reloading", name, champion, served)
            try:
                loaded = self.models.reload(name)
            except NiveshError as exc:
                log.warning("reload of %s v%s failed: %s", name, champion, exc.message)
                return False
            self._mark(name, differs=loaded.version != champion)
            if self.on_reload is not None:
                self.on_reload(name)
            return True

    def check_all(self) -> list[str]:
        """Check every model; returns the names reloaded."""
        return [name for name in self.models.names if not self._stop.is_set() and self.check(name)]

    def _mark(self, name: str, differs: bool) -> None:
        with self._lock:
            if not differs:
                self._differs_since.pop(name, None)
            else:
                self._differs_since.setdefault(name, self.clock())

    def stale(self) -> dict[str, str]:
        """Models served at another version than the champion for longer than one poll interval (and why)."""
        now = self.clock()
        grace = self.poll_s if self.poll_s > 0 else 0.0
        with self._lock:
            late = {n: since for n, since in self._differs_since.items() if now - since > grace}
            champions = dict(self._champions)
        return {n: f"serves v{self.models.served_version(n)}, the champion is v{champions.get(n)} "
                   f"(for {now - since:.0f}s)" for n, since in late.items()}

    # -- threads ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the poll thread (when ``champion_poll_s`` > 0) and the pub/sub listener (when Redis is set)."""
        self._stop.clear()
        if self.poll_s > 0:
            self._spawn(self._poll_loop, "champion-poll")
        if self.settings.redis_url:
            self._spawn(self._listen_loop, "champion-listen")

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads = []

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _poll_loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.check_all()
            except Exception:  # the thread must survive anything
                log.exception("champion poll failed")

    def _listen_loop(self) -> None:
        from nivesh_ml.redis_conn import redis_client

        assert self.settings.redis_url
        backoff = 1.0
        while not self._stop.is_set():
            pubsub: Any = None
            try:
                pubsub = redis_client(self.settings.redis_url).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                backoff = 1.0
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._on_message(message.get("data"))
            except Exception as exc:  # Redis down or restarted: the poll still runs; listen again later
                log.warning("champion channel %s unavailable: %s; retrying in %.0fs", self.channel,
                            type(exc).__name__, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        log.debug("closing the pub/sub connection failed", exc_info=True)

    def _on_message(self, data: Any) -> None:
        try:
            name = json.loads(data).get("model")
        except (TypeError, ValueError, AttributeError):
            log.warning("ignored a malformed message on %s", self.channel)
            return
        if name in self.models.names:
            self.check(name)
