"""Structured logging with personal data masked."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from nivesh_ml.pii import mask_pii, mask_value

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line; extra fields are kept; PII masked in the message, extra values and their keys."""

    def format(self, record: logging.LogRecord) -> str:
        message, _ = mask_pii(record.getMessage())
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,  # which worker wrote it (several share one stream)
            "message": message,
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[mask_pii(key)[0]] = mask_value(value)  # strings, dict keys and nested values
        if record.exc_info:
            payload["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            # Tracebacks quote arguments and messages, which can carry account numbers: masked like the rest.
            payload["traceback"] = mask_pii(self.formatException(record.exc_info))[0]
        return json.dumps(payload, default=str)


class MaskingFormatter(logging.Formatter):
    """Plain text for terminals, PII masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))[0]


NOISY_LOGGERS = ("cmdstanpy", "prophet", "mlflow", "alembic", "httpx", "urllib3", "distributed")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO", json_logs: bool = False) -> None:
    """Install one handler on the root logger (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logs else MaskingFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


class WorkerHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler of a server worker; it also routes ``warnings`` through logging (so they are masked)."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        logging.captureWarnings(True)


def uvicorn_log_config(level: str = "INFO", json_logs: bool = True) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` that uvicorn applies in every worker process it starts.

    Worker processes start fresh (spawned), so :func:`configure_logging` in the parent does not reach them;
    uvicorn applies its ``log_config`` in each. It is the same set-up: one stderr handler on the root logger
    with the masking (JSON or text) formatter, uvicorn's own loggers propagating into it, warnings captured.
    """
    formatter: dict[str, Any] = ({"()": "nivesh_ml.logs.JsonFormatter"} if json_logs
                                 else {"()": "nivesh_ml.logs.MaskingFormatter", "fmt": TEXT_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"nivesh": formatter},
        "handlers": {"stderr": {"class": "nivesh_ml.logs.WorkerHandler", "formatter": "nivesh",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            **{name: {"handlers": [], "propagate": True}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            **{name: {"level": "WARNING"} for name in NOISY_LOGGERS},
        },
    }
