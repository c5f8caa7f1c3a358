"""The advisor's knowledge base: Markdown documents with front matter (title, as_of, authority, tags)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nivesh_ml.errors import InvalidInput

KNOWLEDGE_DIR = Path(__file__).resolve().parent / "knowledge"


@dataclass(frozen=True)
class Document:
    """One knowledge document."""

    slug: str
    title: str
    as_of: str
    authority: str
    tags: tuple[str, ...]
    body: str


def parse_front_matter(header: str) -> dict[str, Any]:
    """The ``key: value`` lines of a front matter block (``[a, b]`` values become lists)."""
    meta: dict[str, Any] = {}
    for line in header.strip().splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            continue
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            meta[key.strip()] = [v.strip().strip("'\"") for v in value[1:-1].split(",") if v.strip()]
        else:
            meta[key.strip()] = value.strip("'\"")
    return meta


def parse_document(slug: str, text: str) -> Document:
    """Split front matter from the Markdown body.

    Raises:
        InvalidInput: the front matter is missing or lacks a required field.
    """
    if not text.startswith("---"):
        raise InvalidInput(f"knowledge document {slug!r} has no front matter")
    _, header, body = text.split("---", 2)
    meta = parse_front_matter(header)
    missing = [k for k in ("title", "as_of", "authority") if not meta.get(k)]
    if missing:
        raise InvalidInput(f"knowledge document {slug!r} lacks {missing}")
    tags = tuple(str(t) for t in meta.get("tags") or [])
    return Document(slug=slug, title=str(meta["title"]), as_of=str(meta["as_of"]),
                    authority=str(meta["authority"]), tags=tags, body=body.strip())


def load_documents(directory: Path = KNOWLEDGE_DIR) -> list[Document]:
    """Every ``*.md`` document of ``directory``, sorted by slug."""
    return [parse_document(p.stem, p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.md"))]


def knowledge_hash(directory: Path = KNOWLEDGE_DIR) -> str:
    """Short content hash of the knowledge base (its version)."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.md")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=4)
def bundled_documents() -> tuple[Document, ...]:
    """The bundled knowledge base (read once per process)."""
    return tuple(load_documents())
