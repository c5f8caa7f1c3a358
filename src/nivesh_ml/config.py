"""Settings: the one place defaults live. Read from ``NIVESH_*`` variables (nested groups with ``__``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ServerSettings(BaseModel):
    """HTTP server."""

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    log_json: bool = True
    cors_origins: list[str] = []
    # Requests handled at once by one worker; more answer 429 with Retry-After (0 = no cap).
    max_in_flight: int = Field(64, ge=0)
    # Per API key (or client address without keys) on /predict/advice, per minute (0 = no limit).
    advice_rate_per_minute: int = Field(30, ge=0)
    # Background retry of models that failed to load at start-up: first wait, doubling up to the max.
    model_retry_initial_s: float = Field(5.0, gt=0)
    model_retry_max_s: float = Field(300.0, gt=0)
    # Each worker compares its served versions with the registry's champion alias this often (0 = never);
    # with Redis it also reloads at once when a promotion or reload is published on ``champion_channel``.
    champion_poll_s: float = Field(30.0, ge=0)
    champion_channel: str = "nivesh:champions"
    # On SIGTERM a worker stops accepting and waits this long for requests in flight before it exits.
    graceful_shutdown_s: int = Field(20, ge=1)


class CacheSettings(BaseModel):
    """Prediction cache. ``auto`` uses Redis when ``NIVESH_REDIS_URL`` is set, else in-process LRU."""

    type: Literal["auto", "memory", "redis", "none"] = "auto"
    max_items: int = Field(10_000, ge=1)
    max_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    ttl_seconds: int = Field(3600, ge=1)


class FeatureStoreSettings(BaseModel):
    """Online feature store. ``auto`` uses Redis when ``NIVESH_REDIS_URL`` is set, else SQLite."""

    type: Literal["auto", "sqlite", "redis"] = "auto"
    sqlite_path: Path | None = None
    ttl_days: int = Field(800, ge=1)
    history_max_transactions: int = Field(5000, ge=10)
    # Longest wait for a SQLite lock on the request path; beyond it the request answers 503 store_busy.
    lock_timeout_s: float = Field(2.0, gt=0, le=30)


class RegistrySettings(BaseModel):
    """MLflow registry behaviour."""

    experiment: str = "nivesh-ml"
    champion_alias: str = "champion"
    request_timeout_s: int = Field(10, ge=1)
    max_retries: int = Field(1, ge=0)


class AdvisorSettings(BaseModel):
    """LLM advisor."""

    provider: Literal["auto", "gemini", "openai", "offline"] = "auto"
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    llm_model: str = "llama3.1"
    timeout_s: float = Field(20.0, gt=0)
    # One deadline for a whole advice turn: provider calls and their retries live inside it.
    turn_deadline_s: float = Field(30.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10)
    breaker_failures: int = Field(3, ge=1)
    breaker_reset_s: float = Field(60.0, gt=0)
    history_max_turns: int = Field(12, ge=1)
    history_max_chars: int = Field(8000, ge=500)
    history_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)


class AnomalySettings(BaseModel):
    """Anomaly detection."""

    target_fpr: float = Field(0.01, gt=0, lt=0.5)
    # Per-category tables kept in a user's profile (the most frequent; the rest fold into "other").
    profile_max_categories: int = Field(64, ge=4)
    # Each serving process recalibrates its threshold from its recent scores every this many scores (0: never).
    recalibrate_every: int = Field(1000, ge=0)


class MonitoringSettings(BaseModel):
    """Prediction log and drift."""

    drift_threshold: float = Field(0.3, gt=0, le=1)
    prediction_log_max_rows: int = Field(200_000, ge=100)
    prediction_log_max_bytes: int = Field(256 * 1024 * 1024, ge=64 * 1024)
    prediction_log_enabled: bool = True


class Settings(BaseSettings):
    """All configuration of nivesh-ml."""

    model_config = SettingsConfigDict(
        env_prefix="NIVESH_", env_nested_delimiter="__", extra="ignore", validate_default=True
    )

    home: Path = Path("var")
    redis_url: str | None = None
    mlflow_tracking_uri: str | None = None
    gemini_api_key: SecretStr | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    api_keys: Annotated[list[str], NoDecode] = []
    admin_api_key: SecretStr | None = None
    seed: int = 42
    log_level: str = "INFO"
    # Servers that pipelines ask to reload a newly promoted champion (POST {url}/models/{name}/reload).
    reload_urls: Annotated[list[str], NoDecode] = []

    server: ServerSettings = ServerSettings()
    cache: CacheSettings = CacheSettings()
    feature_store: FeatureStoreSettings = FeatureStoreSettings()
    registry: RegistrySettings = RegistrySettings()
    advisor: AdvisorSettings = AdvisorSettings()
    anomaly: AnomalySettings = AnomalySettings()
    monitoring: MonitoringSettings = MonitoringSettings()

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @field_validator("reload_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [u.strip().rstrip("/") for u in value.split(",") if u.strip()]
        return value

    @property
    def var_dir(self) -> Path:
        """Root of generated artefacts (models, MLflow DB, stores, reports)."""
        return self.home.resolve()

    @property
    def models_dir(self) -> Path:
        return self.var_dir / "models"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{self.var_dir / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.var_dir / "mlartifacts"

    @property
    def sqlite_store_path(self) -> Path:
        return self.feature_store.sqlite_path or self.var_dir / "features.db"

    @property
    def store_backend(self) -> Literal["sqlite", "redis"]:
        if self.feature_store.type == "auto":
            return "redis" if self.redis_url else "sqlite"
        return self.feature_store.type

    @property
    def cache_backend(self) -> Literal["memory", "redis", "none"]:
        if self.cache.type == "auto":
            return "redis" if self.redis_url else "memory"
        return self.cache.type


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
