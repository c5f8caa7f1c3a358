"""Knowledge base, chunking and hybrid retrieval (recall@3 on the bundled question set)."""

from __future__ import annotations

import json

from nivesh_ml.advisor.knowledge import bundled_documents, knowledge_hash
from nivesh_ml.advisor.retrieval import Retriever, chunk_document, index_dir
from nivesh_ml.config import Settings
from nivesh_ml.data import bundled_path

QUESTIONS = [json.loads(line) for line in bundled_path("advisor_questions.jsonl").read_text().splitlines() if line]


def _recall_at_3(retriever: Retriever) -> float:
    found = sum(bool({h.slug for h in retriever.search(q["question"], k=3)} & set(q["expected"])) for q in QUESTIONS)
    return found / len(QUESTIONS)


def test_knowledge_base_documents_state_date_and_authority() -> None:
    docs = bundled_documents()
    assert len(docs) >= 25
    for doc in docs:
        assert doc.as_of.startswith("20") and doc.authority and doc.title and len(doc.body) > 500
    assert len(knowledge_hash()) == 12


def test_chunks_follow_sections_and_stay_short() -> None:
    doc = next(d for d in bundled_documents() if d.slug == "ppf")
    chunks = chunk_document(doc)
    assert len(chunks) >= 3
    assert all(c.slug == "ppf" and c.title == doc.title for c in chunks)
    assert all(len(c.text.split()) <= 260 for c in chunks)
    assert any("Key numbers" in c.heading for c in chunks)


def test_question_set_covers_the_knowledge_base() -> None:
    slugs = {d.slug for d in bundled_documents()}
    assert len(QUESTIONS) >= 60
    assert all(set(q["expected"]) <= slugs for q in QUESTIONS)


def test_keyword_retrieval_finds_the_right_guides(keyword_retriever: Retriever) -> None:
    assert _recall_at_3(keyword_retriever) >= 0.9
    hits = keyword_retriever.search("How do I complain to the RBI Ombudsman about my bank?")
    assert hits[0].slug == "grievance-redressal"
    assert hits[0].source()["title"] and hits[0].source()["snippet"]


def test_hybrid_retrieval_with_onnx_minilm(semantic_retriever: Retriever, semantic_settings: Settings) -> None:
    assert _recall_at_3(semantic_retriever) >= 0.9
    assert (index_dir(semantic_settings) / "vectors.npy").is_file()
    assert (index_dir(semantic_settings) / "chunks.json").is_file()
    assert semantic_retriever.version.startswith(f"kb-{knowledge_hash()}-enc-")
    # meaning, not words: no keyword of the guide's title appears in the question
    hits = semantic_retriever.search("I lost my job, how many months of expenses should I have saved")
    assert "emergency-fund" in {h.slug for h in hits}


def test_bootstrap_step_builds_the_index_only_when_missing(semantic_retriever: Retriever,
                                                           semantic_settings: Settings) -> None:
    from nivesh_ml.advisor.retrieval import ensure_index
    from nivesh_ml.pipelines.training import after_bootstrap

    assert semantic_retriever.vectors is not None
    assert ensure_index(semantic_settings)["built"] is False
    (index_dir(semantic_settings) / "chunks.json").unlink()
    after_bootstrap(semantic_settings)
    assert (index_dir(semantic_settings) / "chunks.json").is_file()
