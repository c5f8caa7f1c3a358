"""Data: record schemas, bundled data, the simulator and file loaders."""

from importlib import resources
from pathlib import Path


def bundled_path(name: str) -> Path:
    """Path of a file bundled in ``nivesh_ml/data/bundled``."""
    return Path(str(resources.files("nivesh_ml.data") / "bundled" / name))
