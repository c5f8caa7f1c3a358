"""The protocol every model implements (DESIGN.md §3) and the ``model.json`` metadata it carries."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from nivesh_ml.errors import InvalidInput, ModelLoadFailed, ModelNotReady

log = logging.getLogger(__name__)
METADATA_FILE = "model.json"
_CHUNK = 1 << 20


@dataclass
class ModelMetadata:
    """What ``model.json`` records about a saved model."""

    name: str
    version: str = "local"
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    data_hash: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    feature_schema: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    git_sha: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # relative path -> {"sha256", "size"} of every other file in the directory; None: saved before manifests
    manifest: dict[str, dict[str, Any]] | None = None

    def write(self, directory: Path, refresh_manifest: bool = True) -> Path:
        """Write ``model.json`` into ``directory``, recording the sha256 manifest of the files already there.

        Every family writes ``model.json`` last, so the manifest covers the whole saved model.
        ``refresh_manifest=False`` keeps the recorded manifest (the registry renumbering a download).
        """
        directory.mkdir(parents=True, exist_ok=True)
        if refresh_manifest:
            self.manifest = artefact_manifest(directory)
        path = directory / METADATA_FILE
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True, default=str))
        return path

    @classmethod
    def read(cls, directory: Path) -> ModelMetadata:
        """Read ``model.json`` from a saved model directory."""
        path = Path(directory) / METADATA_FILE
        if not path.is_file():
            raise ModelNotReady(f"no {METADATA_FILE} in {directory}: not a saved model directory")
        data = json.loads(path.read_text())
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def artefact_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file under ``directory`` except ``model.json``, by relative POSIX path."""
    directory = Path(directory)
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(directory).as_posix()
        if rel != METADATA_FILE:
            out[rel] = {"sha256": _sha256(path), "size": path.stat().st_size}
    return out


def verify_artefacts(directory: Path) -> bool:
    """Check a saved model directory against the manifest in its ``model.json``.

    Returns:
        True when verified; False for a model saved before manifests existed (loaded unverified).

    Raises:
        ModelLoadFailed: ``model.json`` unreadable, a file missing, or a size or sha256 mismatch.
    """
    directory = Path(directory)
    try:
        meta = ModelMetadata.read(directory)
    except (ModelNotReady, ValueError, TypeError) as exc:
        raise ModelLoadFailed(f"unreadable {METADATA_FILE} in {directory.name}",
                              details={"reason": f"{type(exc).__name__}: {str(exc)[:200]}"}) from exc
    if meta.manifest is None:
        log.warning("model %s in %s has no artefact manifest (saved before manifests): loading it unverified",
                    meta.name, directory)
        return False
    for rel, expected in sorted(meta.manifest.items()):
        path = directory / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise ModelLoadFailed("artefact manifest names a path outside the model directory",
                                  details={"reason": "bad manifest path", "file": rel})
        if not path.is_file():
            raise ModelLoadFailed(f"artefact {rel} is missing", details={"reason": "missing file", "file": rel})
        if path.stat().st_size != expected.get("size"):
            raise ModelLoadFailed(f"artefact {rel} has the wrong size",
                                  details={"reason": "size mismatch", "file": rel,
                                           "expected": expected.get("size"), "actual": path.stat().st_size})
        if _sha256(path) != expected.get("sha256"):
            raise ModelLoadFailed(f"artefact {rel} does not match its sha256",
                                  details={"reason": "sha256 mismatch", "file": rel})
    return True


def current_git_sha() -> str | None:
    """The commit the code runs from, when it runs from a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


class Predictor(ABC):
    """A loaded model. ``predict`` takes a batch and returns one output per input, in order."""

    metadata: ModelMetadata

    @abstractmethod
    def predict(self, batch: Sequence[Any]) -> list[Any]:
        """Predict a batch of inputs."""

    def predict_one(self, item: Any) -> Any:
        """Predict one input (same output shape as one element of ``predict``)."""
        return self.predict([item])[0]


@dataclass
class Prepared:
    """Data ready for training: a training set, an evaluation set never trained on, and its hash."""

    train: Any
    evaluation: Any
    data_hash: str
    source: str


TrainedT = TypeVar("TrainedT")


@dataclass
class Trained(Generic[TrainedT]):
    """A freshly trained model: its state (model-specific) and metadata."""

    state: TrainedT
    metadata: ModelMetadata


class ModelFamily(ABC):
    """One kind of model: how to prepare data, train, save, load and evaluate it."""

    name: ClassVar[str]
    primary_metric: ClassVar[str]
    higher_is_better: ClassVar[bool] = True
    # Option keys only ``prepare`` reads (data loading: columns, target, simulated sizes); never training params.
    prepare_options: ClassVar[frozenset[str]] = frozenset()

    def split_options(self, options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``prepare`` options and training parameters from one CLI/pipeline options mapping.

        ``prepare`` sees every option (it reads the keys it knows); ``train`` sees all but ``prepare_options``.
        """
        params = {k: v for k, v in options.items() if k not in self.prepare_options}
        return dict(options), params

    @abstractmethod
    def prepare(self, data: Path | None, options: Mapping[str, Any]) -> Prepared:
        """Load a data file (bundled data when ``None``) and split train / evaluation."""

    @abstractmethod
    def train(self, dataset: Any, params: Mapping[str, Any]) -> Trained[Any]:
        """Fit a model on ``dataset``."""

    @abstractmethod
    def save(self, trained: Trained[Any], directory: Path) -> None:
        """Write the model and its ``model.json`` (no pickle) into ``directory``."""

    @abstractmethod
    def load(self, directory: Path) -> Predictor:
        """Load a saved model for prediction."""

    @abstractmethod
    def evaluate(self, predictor: Predictor, dataset: Any) -> dict[str, Any]:
        """Metrics of ``predictor`` on ``dataset`` (keys per DESIGN.md §4)."""

    def load_eval_data(self, data: Path, options: Mapping[str, Any]) -> Any:
        """Read a whole file as an evaluation set (``nivesh-ml evaluate``)."""
        raise InvalidInput(f"evaluate is not available for {self.name}")

    def is_better(self, candidate: Mapping[str, Any], champion: Mapping[str, Any]) -> bool:
        """Promotion gate: the candidate is at least as good on the primary metric."""
        new, old = candidate.get(self.primary_metric), champion.get(self.primary_metric)
        if old is None:
            return True
        if new is None:
            return False
        return float(new) >= float(old) if self.higher_is_better else float(new) <= float(old)
