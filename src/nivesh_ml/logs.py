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


def configure_logging(level: str = "INFO", json_logs: bool = False) -> None:
    """Install one handler on the root logger (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_logs else MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for noisy in ("cmdstanpy", "prophet", "mlflow", "alembic", "httpx", "urllib3", "distributed"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
