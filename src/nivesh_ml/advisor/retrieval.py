"""Hybrid retrieval over the knowledge base: section chunks, MiniLM vectors + BM25, reciprocal-rank fusion."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import bm25s
import numpy as np

from nivesh_ml.advisor.embeddings import Encoder, encoder_dir, ensure_encoder, is_built
from nivesh_ml.advisor.knowledge import Document, bundled_documents, knowledge_hash
from nivesh_ml.config import Settings

log = logging.getLogger(__name__)

MAX_CHUNK_WORDS = 160
RRF_K = 60
SNIPPET_CHARS = 320
_STOP_TEXT = (
    "a an and are as at be by can do does for from has have how i if in is it its me my of on or so that the their "
    "them there these this to was what when where which who why will with you your should would could much many any "
    "get want need about am into than then also just please tell")
STOPWORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Chunk:
    """A section (or part of one) of a knowledge document."""

    slug: str
    title: str
    heading: str
    text: str

    def indexed_text(self) -> str:
        """What is embedded and keyword-indexed: document title, section heading and text."""
        return f"{self.title}. {self.heading}. {self.text}"


@dataclass(frozen=True)
class Hit:
    """A retrieved document with its best-matching chunk."""

    slug: str
    title: str
    snippet: str
    score: float
    as_of: str = ""
    authority: str = ""

    def source(self) -> dict[str, str]:
        """The ``sources`` entry of an answer."""
        return {"title": self.title, "snippet": self.snippet}


def _split_words(text: str, limit: int) -> list[str]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    parts: list[str] = []
    current: list[str] = []
    for para in paragraphs:
        if current and len(" ".join(current).split()) + len(para.split()) > limit:
            parts.append("\n\n".join(current))
            current = []
        current.append(para)
    if current:
        parts.append("\n\n".join(current))
    return parts


def chunk_document(doc: Document, max_words: int = MAX_CHUNK_WORDS) -> list[Chunk]:
    """Split a document at its ``##`` headings, long sections further at paragraph boundaries."""
    sections = re.split(r"^##\s+", doc.body, flags=re.MULTILINE)
    chunks: list[Chunk] = []
    for i, section in enumerate(sections):
        heading, _, text = section.partition("\n") if i else ("Overview", "", section)
        text = re.sub(r"^#\s+.*$", "", text, flags=re.MULTILINE).strip()
        for part in _split_words(text, max_words) if text else []:
            chunks.append(Chunk(doc.slug, doc.title, heading.strip(), part))
    return chunks


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, with a light plural/suffix stem."""
    tokens = []
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        tokens.append(word)
    return tokens


def plain_snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Markdown stripped to readable text, cut at a word boundary."""
    text = re.sub(r"[*_`#>|]", "", text)
    text = re.sub(r"^\s*[-\d]+[.)]?\s+", "", text, flags=re.MULTILINE)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


class Retriever:
    """Keyword (BM25) and, when an encoder is given, vector search fused by reciprocal rank."""

    def __init__(self, chunks: Sequence[Chunk], documents: Sequence[Document], encoder: Encoder | None = None,
                 vectors: np.ndarray | None = None, version: str = "") -> None:
        self.chunks = list(chunks)
        self.documents = {d.slug: d for d in documents}
        self.encoder = encoder
        self.version = version
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.bm25 = bm25s.BM25()
        self.bm25.index([tokenize(c.indexed_text()) or ["_"] for c in self.chunks], show_progress=False)
        if encoder is not None and vectors is None:
            vectors = encoder.encode([c.indexed_text() for c in self.chunks])
        self.vectors = vectors

    def _scores(self, query: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """BM25 scores and cosine similarities of every chunk (None where that ranker is unavailable)."""
        tokens = tokenize(query)
        keyword = np.asarray(self.bm25.get_scores(tokens)) if tokens else None
        semantic = None
        if self.encoder is not None and self.vectors is not None:
            semantic = self.vectors @ self.encoder.encode([query])[0]
        return keyword, semantic

    def _ranked(self, query: str) -> list[list[int]]:
        keyword, semantic = self._scores(query)
        return self._rankings(keyword, semantic)

    @staticmethod
    def _rankings(keyword: np.ndarray | None, semantic: np.ndarray | None) -> list[list[int]]:
        rankings = []
        if keyword is not None:
            rankings.append([int(i) for i in np.argsort(-keyword, kind="stable") if keyword[i] > 0])
        if semantic is not None:
            rankings.append([int(i) for i in np.argsort(-semantic, kind="stable")])
        return rankings

    @staticmethod
    def _snippet_scores(keyword: np.ndarray | None, semantic: np.ndarray | None, size: int) -> np.ndarray:
        """Which chunk of a document best answers the query: normalised BM25 plus cosine similarity."""
        combined = np.zeros(size)
        if keyword is not None and keyword.max() > 0:
            combined += keyword / keyword.max()
        if semantic is not None:
            combined += semantic
        return combined

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The ``k`` best documents for ``query`` (each with its best chunk as snippet)."""
        keyword, semantic = self._scores(query)
        fused: dict[int, float] = {}
        for ranking in self._rankings(keyword, semantic):
            for rank, idx in enumerate(ranking):
                fused[idx] = fused.get(idx, 0.0) + 1.0 / (RRF_K + rank + 1)
        best: dict[str, tuple[float, int]] = {}
        for idx, score in fused.items():
            slug = self.chunks[idx].slug
            if slug not in best or score > best[slug][0]:
                best[slug] = (score, idx)
        order = sorted(best.items(), key=lambda item: -item[1][0])[:k]
        snippet_scores = self._snippet_scores(keyword, semantic, len(self.chunks))
        hits = []
        for slug, (score, _) in order:
            doc = self.documents[slug]
            idx = max((i for i, c in enumerate(self.chunks) if c.slug == slug), key=lambda i: snippet_scores[i])
            hits.append(Hit(slug=slug, title=doc.title, snippet=plain_snippet(self.chunks[idx].text),
                            score=round(score, 5), as_of=doc.as_of, authority=doc.authority))
        return hits

    def passage(self, hit: Hit, max_chars: int = 1200) -> str:
        """A longer excerpt (the matching document's text) for grounding an LLM."""
        doc = self.documents[hit.slug]
        return plain_snippet(doc.body, max_chars)


def index_dir(settings: Settings) -> Path:
    """Where the vector index lives."""
    return settings.var_dir / "advisor" / "index"


_encoders: dict[str, Encoder] = {}
_vectors: dict[tuple[str, str], np.ndarray] = {}


def _encoder(settings: Settings) -> Encoder:
    """One ONNX session per exported graph and process (several var dirs may hold the same export)."""
    directory = ensure_encoder(encoder_dir(settings))
    sha = json.loads((directory / "encoder.json").read_text()).get("sha256", str(directory))
    if sha not in _encoders:
        _encoders[sha] = Encoder(directory)
    return _encoders[sha]


def build_index(settings: Settings) -> dict[str, object]:
    """Export the encoder if needed, embed every chunk, save ``vectors.npy`` + ``chunks.json``."""
    documents = list(bundled_documents())
    chunks = [c for d in documents for c in chunk_document(d)]
    encoder = _encoder(settings)
    key = (knowledge_hash(), encoder.version)
    if key not in _vectors:
        _vectors[key] = encoder.encode([c.indexed_text() for c in chunks])
    vectors = _vectors[key]
    out = index_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", vectors)
    meta = {"knowledge_hash": knowledge_hash(), "encoder": encoder.version, "chunks": [asdict(c) for c in chunks]}
    (out / "chunks.json").write_text(json.dumps(meta, ensure_ascii=False))
    return {"documents": len(documents), "chunks": len(chunks), "knowledge_hash": meta["knowledge_hash"],
            "encoder": encoder.version, "index_dir": str(out)}


def ensure_index(settings: Settings) -> dict[str, object]:
    """Build the encoder and index unless both are present and current (``nivesh-ml bootstrap`` calls this)."""
    meta_path = index_dir(settings) / "chunks.json"
    if meta_path.exists() and is_built(encoder_dir(settings)):
        meta = json.loads(meta_path.read_text())
        encoder_meta = json.loads((encoder_dir(settings) / "encoder.json").read_text())
        if meta.get("knowledge_hash") == knowledge_hash() and meta.get("encoder") == encoder_meta.get("sha256"):
            return {"built": False, "index_dir": str(index_dir(settings))}
    return {"built": True, **build_index(settings)}


def load_retriever(settings: Settings, semantic: bool = True) -> Retriever:
    """The retriever for ``settings`` (building the encoder/index on first use when missing or stale)."""
    documents = list(bundled_documents())
    version = knowledge_hash()
    if not semantic:
        chunks = [c for d in documents for c in chunk_document(d)]
        return Retriever(chunks, documents, version=f"kb-{version}-bm25")
    meta_path = index_dir(settings) / "chunks.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    encoder = _encoder(settings)
    if meta.get("knowledge_hash") != version or meta.get("encoder") != encoder.version:
        log.info("advisor index missing or stale; building it")
        build_index(settings)
        meta = json.loads(meta_path.read_text())
    chunks = [Chunk(**c) for c in meta["chunks"]]
    vectors = np.load(index_dir(settings) / "vectors.npy")
    return Retriever(chunks, documents, encoder, vectors, version=f"kb-{version}-enc-{encoder.version[:8]}")
