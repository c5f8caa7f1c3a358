"""The sha256 artefact manifest in ``model.json``: written at save, checked before a model is served."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from nivesh_ml.errors import ModelLoadFailed
from nivesh_ml.models.base import METADATA_FILE, verify_artefacts
from tests.toy_family import ToyFamily


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    family = ToyFamily()
    directory = tmp_path / "toy"
    family.save(family.train([], {"offset": 2.0}), directory)
    (directory / "sub").mkdir()
    (directory / "sub" / "extra.bin").write_bytes(b"\x00\x01")
    ToyFamily().load(directory).metadata.write(directory)  # re-sealed: the manifest covers sub/extra.bin too
    return directory


def _manifest(directory: Path) -> dict[str, dict[str, object]]:
    return json.loads((directory / METADATA_FILE).read_text())["manifest"]  # type: ignore[no-any-return]


def test_manifest_lists_every_file_but_model_json(saved: Path) -> None:
    assert set(_manifest(saved)) == {"weights.json", "sub/extra.bin"}
    assert verify_artefacts(saved) is True


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda d: (d / "weights.json").unlink(), "missing file"),
    (lambda d: (d / "weights.json").write_text('{"offset": 9.0}'), "sha256 mismatch"),
    (lambda d: (d / "sub" / "extra.bin").write_bytes(b"\x00"), "size mismatch"),
])
def test_damaged_artefacts_fail_verification(saved: Path, damage: Callable[[Path], object], reason: str) -> None:
    damage(saved)
    with pytest.raises(ModelLoadFailed) as raised:
        verify_artefacts(saved)
    assert raised.value.details["reason"] == reason


def test_manifest_paths_outside_the_directory_are_rejected(saved: Path) -> None:
    data = json.loads((saved / METADATA_FILE).read_text())
    data["manifest"]["../outside"] = {"sha256": "0" * 64, "size": 1}
    (saved / METADATA_FILE).write_text(json.dumps(data))
    with pytest.raises(ModelLoadFailed):
        verify_artefacts(saved)


def test_model_saved_before_manifests_is_loaded_unverified(saved: Path) -> None:
    data = json.loads((saved / METADATA_FILE).read_text())
    del data["manifest"]
    (saved / METADATA_FILE).write_text(json.dumps(data))
    assert verify_artefacts(saved) is False
    assert ToyFamily().load(saved).predict([1.0]) == [3.0]


def test_unreadable_model_json_is_a_load_failure(saved: Path) -> None:
    (saved / METADATA_FILE).write_text("{not json")
    with pytest.raises(ModelLoadFailed):
        verify_artefacts(saved)
