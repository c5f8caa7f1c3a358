"""Prometheus metrics of the server (one registry per app, so tests can build many apps).

With several workers (``nivesh-ml serve --workers N``) the serve command points ``PROMETHEUS_MULTIPROC_DIR`` at
a fresh directory before the workers start; every worker then writes its values there and a scrape of any
worker reports the sum over the workers of that server (:func:`exposition`). Gauges say how workers combine:
``livemin`` for readiness (ready only when every live worker is), ``livemax`` for the served version,
``livemostrecent`` for values every worker computes alike.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The shared metrics directory of this server's workers (None: single-process metrics)."""
    return os.environ.get(MULTIPROC_ENV) or None


def exposition(registry: CollectorRegistry) -> bytes:
    """The text a scrape gets: every worker's values summed in multiprocess mode, else this registry."""
    if multiprocess_dir() is None:
        return generate_latest(registry)
    from prometheus_client import multiprocess

    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return generate_latest(combined)


def mark_worker_dead(pid: int | None = None) -> None:
    """Drop a stopped worker's ``live*`` gauge values from the shared directory (no-op in single-process mode)."""
    if multiprocess_dir() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid if pid is not None else os.getpid())

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Every metric the app exports. Names are referenced by the Grafana dashboards and alert rules."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("nivesh_http_requests_total", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("nivesh_http_request_duration_seconds", "HTTP request latency",
                                 ["route", "method"], buckets=LATENCY_BUCKETS, registry=r)
        self.in_flight = Gauge("nivesh_http_requests_in_flight", "Requests being handled (scrapes not counted)",
                               registry=r, multiprocess_mode="livesum")
        self.model_info = Gauge("nivesh_model_info", "Loaded model version (value 1)",
                                ["model", "version", "stage"], registry=r, multiprocess_mode="livemax")
        self.model_ready = Gauge("nivesh_model_ready", "1 when the model is loaded (by every worker)", ["model"],
                                 registry=r, multiprocess_mode="livemin")
        self.predictions = Counter("nivesh_predictions_total", "Predictions served", ["model"], registry=r)
        self.confidence = Histogram("nivesh_prediction_confidence", "Confidence or score of predictions",
                                    ["model"], buckets=[i / 10 for i in range(1, 11)], registry=r)
        self.anomalies = Counter("nivesh_anomaly_flagged_total", "Transactions flagged as anomalous",
                                 registry=r)
        self.anomaly_flag_rate = Gauge("nivesh_anomaly_flag_rate",
                                       "Share of recently scored transactions flagged as anomalous", registry=r,
                                       multiprocess_mode="livemostrecent")
        self.cache_events = Counter("nivesh_cache_events_total", "Prediction cache hits, misses and errors",
                                    ["kind", "outcome"], registry=r)
        self.store_errors = Counter("nivesh_feature_store_errors_total", "Feature store failures",
                                    ["operation"], registry=r)
        self.drift_share = Gauge("nivesh_drift_share", "Share of drifted features vs reference",
                                 ["model"], registry=r, multiprocess_mode="livemostrecent")
        self.advisor_requests = Counter("nivesh_advisor_requests_total", "Advisor turns by provider used",
                                        ["provider"], registry=r)
        self.provider_fallbacks = Counter("nivesh_advisor_provider_fallbacks_total",
                                          "Advisor turns that fell back from a provider", ["provider"],
                                          registry=r)

    def cache_event(self, kind: str, outcome: str) -> None:
        self.cache_events.labels(kind=kind, outcome=outcome).inc()
