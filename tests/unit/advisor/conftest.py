"""Advisor test fixtures: the semantic retriever is built once per session (ONNX export of MiniLM)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nivesh_ml.advisor.retrieval import Retriever, load_retriever
from nivesh_ml.config import Settings

DATA = Path(__file__).resolve().parent / "data"


def read_lines(name: str) -> list[str]:
    """Non-empty lines of a table under tests/unit/advisor/data."""
    return [line.strip() for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def read_jsonl(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in read_lines(name)]


@pytest.fixture(scope="session")
def semantic_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(home=tmp_path_factory.mktemp("advisor") / "var")


@pytest.fixture(scope="session")
def semantic_retriever(semantic_settings: Settings) -> Retriever:
    """MiniLM (ONNX) + BM25 retriever; exports the encoder on first use."""
    return load_retriever(semantic_settings)


@pytest.fixture(scope="session")
def keyword_retriever() -> Retriever:
    return load_retriever(Settings(home=Path("unused")), semantic=False)
