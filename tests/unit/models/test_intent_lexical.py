"""The lexical half of the intent ensemble: numpy serving equals scikit-learn; the blend is chosen on validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from nivesh_ml.data import bundled_path
from nivesh_ml.models.intent.calibration import blend_scores, choose_blend
from nivesh_ml.models.intent.data import read_labelled_csv
from nivesh_ml.models.intent.lexical import FILE_NAME, LexicalModel, fit_lexical, vectorizers

ODD_TEXTS = ["  mera   BALANCE kitna hai??", "₹1.5 lakh", "a", "x y", "", "naïve café 😀", "sip-ka status",
             "I", "EMI\tdue\n\nkab hai", "bal ance kya h"]


def _bundled() -> tuple[list[str], list[str]]:
    data = read_labelled_csv(bundled_path("intents.csv"))
    return data.texts, data.labels


def test_numpy_features_and_scores_equal_scikit_learn() -> None:
    texts, labels = _bundled()
    order = sorted(set(labels))
    model = fit_lexical(texts, labels, order, c=20.0)
    char, word = vectorizers()
    matrix = sp.hstack([char.fit_transform(texts), word.fit_transform(texts)]).tocsr()
    probe = texts[::7] + ODD_TEXTS
    expected = sp.hstack([char.transform(probe), word.transform(probe)]).toarray()
    for row, text in enumerate(probe):
        columns, values = model.features(text)
        dense = np.zeros(matrix.shape[1])
        dense[columns] = values
        np.testing.assert_allclose(dense, expected[row], atol=1e-12, err_msg=repr(text))
    reference = LogisticRegression(C=20.0, max_iter=3000).fit(matrix, labels)
    columns = [list(reference.classes_).index(label) for label in order]
    np.testing.assert_allclose(model.log_probabilities(probe),
                               reference.predict_log_proba(sp.csr_matrix(expected))[:, columns], atol=1e-5)


def test_saved_model_scores_the_same_without_pickle(tmp_path: Path) -> None:
    texts, labels = _bundled()
    model = fit_lexical(texts[:400], labels[:400], sorted(set(labels[:400])))
    model.save(tmp_path)
    with np.load(tmp_path / FILE_NAME, allow_pickle=False) as data:
        assert all(data[key].dtype != object for key in data.files)
    again = LexicalModel.load(tmp_path / FILE_NAME)
    np.testing.assert_array_equal(again.log_probabilities(ODD_TEXTS), model.log_probabilities(ODD_TEXTS))


def test_two_labels_and_a_label_without_rows() -> None:
    texts = ["check my balance", "balance kitna hai", "pay my bill", "bill bharna hai", "balance please",
             "electricity bill"]
    labels = ["balance", "balance", "bill", "bill", "balance", "bill"]
    model = fit_lexical(texts, labels, ["bill", "balance", "loan"])
    probs = np.exp(model.log_probabilities(["mera balance", "gas bill pay"]))
    assert probs.argmax(axis=1).tolist() == [1, 0]
    assert probs[:, 2].max() < 1e-6  # "loan" had no training rows: never predicted
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_blend_weight_follows_what_helps_on_validation() -> None:
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 4, 300)
    weak_logits = rng.normal(size=(300, 4)) + 1.0 * np.eye(4)[targets]  # a mediocre network
    informative = np.log(np.clip(0.7 * np.eye(4)[targets] + 0.1, 1e-9, None))  # a good lexical model
    noise = np.log(rng.dirichlet(np.ones(4), 300))
    weight, _ = choose_blend(weak_logits, 1.0, informative, targets)
    assert weight >= 0.3
    assert choose_blend(weak_logits, 1.0, noise, targets)[0] <= 0.1
    assert choose_blend(weak_logits, 1.0, None, targets) == (0.0, 1.0)
    np.testing.assert_allclose(blend_scores(weak_logits, 1.0, informative, 0.0),
                               blend_scores(weak_logits, 1.0, None, 0.5))
