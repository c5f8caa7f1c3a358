"""The lexical half of the intent ensemble: char + word TF-IDF and a multinomial logistic regression.

Fine-tuned MiniLM and a character n-gram model make different mistakes: sub-word embeddings blur typos and
Hinglish spellings ("kitna", "kharcha", "bal ance") that character n-grams match directly. Training uses
scikit-learn (``TfidfVectorizer`` + ``LogisticRegression``); serving re-implements the two analyzers and the
linear scoring in numpy from the saved vocabulary, idf and weights, so the served model needs no scikit-learn
and no pickle. ``tests/unit/models/test_intent_lexical.py`` checks the numpy features equal scikit-learn's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nivesh_ml.models.intent.calibration import FloatArray, log_softmax

FILE_NAME = "lexical.npz"
CHAR_NGRAMS = (2, 5)
WORD_NGRAMS = (1, 2)
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, low: int = CHAR_NGRAMS[0], high: int = CHAR_NGRAMS[1]) -> list[str]:
    """Character n-grams inside space-padded words (scikit-learn's ``char_wb`` analyzer, lower-cased)."""
    grams: list[str] = []
    for word in _SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:  # a short word counts once, whole
                grams.append(padded)
                break
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return grams


def word_ngrams(text: str, low: int = WORD_NGRAMS[0], high: int = WORD_NGRAMS[1]) -> list[str]:
    """Word n-grams of scikit-learn's default ``word`` analyzer (lower-cased, 2+ letter tokens)."""
    tokens = _WORD.findall(text.lower())
    return [" ".join(tokens[i:i + n]) for n in range(low, high + 1) for i in range(len(tokens) - n + 1)]


@dataclass
class _Block:
    """One TF-IDF vectorizer: vocabulary → column, idf per column (sublinear tf, l2-normalised rows)."""

    vocabulary: dict[str, int]
    idf: FloatArray
    offset: int

    def features(self, grams: list[str]) -> tuple[NDArray[np.int64], FloatArray]:
        counts = Counter(g for g in grams if g in self.vocabulary)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        columns = np.fromiter((self.vocabulary[g] for g in counts), dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * self.idf[columns]
        return columns + self.offset, values / np.linalg.norm(values)


class LexicalModel:
    """TF-IDF (char_wb 2–5 + word 1–2) → multinomial logistic regression; log-probabilities in label order."""

    def __init__(self, char_vocab: Sequence[str], char_idf: FloatArray, word_vocab: Sequence[str],
                 word_idf: FloatArray, coef: FloatArray, intercept: FloatArray) -> None:
        self.char = _Block({g: i for i, g in enumerate(char_vocab)}, np.asarray(char_idf, dtype=float), 0)
        self.word = _Block({g: i for i, g in enumerate(word_vocab)}, np.asarray(word_idf, dtype=float),
                           len(char_vocab))
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=float)

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[1])

    def features(self, text: str) -> tuple[NDArray[np.int64], FloatArray]:
        """Sparse TF-IDF row of ``text``: column indices and values (both blocks)."""
        char_cols, char_vals = self.char.features(char_wb_ngrams(text))
        word_cols, word_vals = self.word.features(word_ngrams(text))
        return np.concatenate([char_cols, word_cols]), np.concatenate([char_vals, word_vals])

    def log_probabilities(self, texts: Sequence[str]) -> FloatArray:
        """Log class probabilities, one row per text."""
        scores = np.tile(self.intercept, (len(texts), 1))
        for row, text in enumerate(texts):
            columns, values = self.features(text)
            if len(columns):
                scores[row] += self.coef[:, columns] @ values
        return log_softmax(scores)

    def save(self, directory: Path) -> None:
        """Write ``lexical.npz`` (plain arrays; loading never unpickles)."""
        arrays: dict[str, Any] = {  # a vocabulary dict's order is its column order
            "char_vocab": np.asarray(list(self.char.vocabulary), dtype=str), "char_idf": self.char.idf,
            "word_vocab": np.asarray(list(self.word.vocabulary), dtype=str), "word_idf": self.word.idf,
            "coef": self.coef, "intercept": self.intercept}
        np.savez_compressed(Path(directory) / FILE_NAME, **arrays)

    @classmethod
    def load(cls, path: Path) -> LexicalModel:
        """Read a saved model."""
        with np.load(path, allow_pickle=False) as data:
            return cls(data["char_vocab"].tolist(), data["char_idf"], data["word_vocab"].tolist(),
                       data["word_idf"], data["coef"], data["intercept"])


def vectorizers(min_df: int = 2) -> tuple[Any, Any]:
    """The scikit-learn vectorizers the numpy scoring re-implements (char_wb 2–5, word 1–2, sublinear tf)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return (TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=min_df),
            TfidfVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, sublinear_tf=True))


def fit_lexical(texts: Sequence[str], labels: Sequence[str], label_order: Sequence[str],
                c: float = 20.0) -> LexicalModel:
    """Fit the TF-IDF features and the logistic regression; classes follow ``label_order``."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    char, word = vectorizers(min_df=2 if len(texts) >= 200 else 1)
    matrix = sp.hstack([char.fit_transform(texts), word.fit_transform(texts)]).tocsr()
    classifier = LogisticRegression(C=c, max_iter=3000).fit(matrix, list(labels))
    classes = [str(label) for label in classifier.classes_]
    coef, intercept = classifier.coef_, classifier.intercept_
    if len(classes) == 2:  # scikit-learn keeps one row for two classes: softmax([0, z]) is its sigmoid
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    full_coef = np.zeros((len(label_order), matrix.shape[1]))
    full_intercept = np.full(len(label_order), -30.0)  # a label with no training rows is never predicted
    for row, label in enumerate(label_order):
        if label in classes:
            full_coef[row], full_intercept[row] = coef[classes.index(label)], intercept[classes.index(label)]
    return LexicalModel(char.get_feature_names_out().tolist(), char.idf_, word.get_feature_names_out().tolist(),
                        word.idf_, full_coef, full_intercept)
