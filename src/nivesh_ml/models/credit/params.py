"""Training parameters of the credit model: a frozen dataclass that rejects unknown keys and bad values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from nivesh_ml.errors import InvalidInput
from nivesh_ml.models.credit.predictor import HIGH_FROM, LOW_BELOW
from nivesh_ml.models.credit.search import SearchSettings
from nivesh_ml.models.options import check_ranges, parse_options

ENCODINGS = ("native", "onehot")


def parse_monotone(value: Any) -> dict[str, int]:
    """``{"col": 1}`` or ``"col:1,other:-1"`` → constraints (+1 never lowers risk, -1 never raises it)."""
    if not value:
        return {}
    if isinstance(value, str):
        try:
            pairs = dict(item.rsplit(":", 1) for item in value.split(",") if item.strip())
        except ValueError as exc:
            raise InvalidInput(f"monotone expects col:1,col:-1, got {value!r}") from exc
        value = {k.strip(): v for k, v in pairs.items()}
    if not isinstance(value, Mapping):
        raise InvalidInput("monotone expects a mapping of column to 1 or -1")
    try:
        out = {str(k): int(v) for k, v in value.items()}
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"monotone constraints must be -1, 0 or 1, got {value!r}") from exc
    if any(v not in (-1, 0, 1) for v in out.values()):
        raise InvalidInput("monotone constraints must be -1, 0 or 1", details=out)
    return out


@dataclass(frozen=True)
class CreditParams:
    """The search budget (:class:`SearchSettings`), constraints, encoding and the risk-category cut-offs."""

    n_trials: int = SearchSettings.n_trials
    folds: int = SearchSettings.folds  # 0: 5 folds below 3,000 rows, else 3
    learning_rate: float = SearchSettings.learning_rate
    max_rounds: int = SearchSettings.max_rounds
    early_stopping: int = SearchSettings.early_stopping
    nthread: int = SearchSettings.nthread
    seed: int = SearchSettings.seed
    monotone: dict[str, int] = field(default_factory=dict)  # added to the applicant defaults
    encoding: str | None = None  # None: chosen by CV
    low_below: float = LOW_BELOW
    high_from: float = HIGH_FROM

    def __post_init__(self) -> None:
        check_ranges("credit", self, {
            "n_trials": self.n_trials >= 1, "folds": self.folds == 0 or self.folds >= 2,
            "learning_rate": 0 < self.learning_rate <= 1, "max_rounds": self.max_rounds >= 1,
            "early_stopping": self.early_stopping >= 1, "nthread": self.nthread >= 1,
            "encoding": self.encoding in (None, *ENCODINGS),
            "low_below": 0 < self.low_below < 1, "high_from": self.low_below <= self.high_from < 1,
        })

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> CreditParams:
        """Parse CLI/``--param`` options (``None`` values mean "default")."""
        rest = {k: v for k, v in options.items() if k != "monotone"}
        return replace(parse_options(cls, "credit", rest), monotone=parse_monotone(options.get("monotone")))

    def search(self) -> SearchSettings:
        """The search budget."""
        return SearchSettings(n_trials=self.n_trials, folds=self.folds, learning_rate=self.learning_rate,
                              max_rounds=self.max_rounds, early_stopping=self.early_stopping,
                              nthread=self.nthread, seed=self.seed)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for ``model.json``."""
        return asdict(self)
