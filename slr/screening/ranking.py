"""Relevance ranking for title/abstract screening (active learning): pure, fast, deterministic.

The API the screen and `slr simulate` call:

    ranker = Ranker.fit(texts, model="logistic")   # vectorise every record once (the slow part)
    scores = ranker.scores(labels, prior=prior, seed=1)   # retrain the classifier only: fast
    order = ranker.ranking(labels, prior=prior, seed=1)   # unlabelled indices, likeliest first

- `texts`: one string per record, `record_text(title, abstract, keywords)`; records are known by
  their index in that sequence from then on.
- `labels`: {index: True for include, False for exclude}, a reviewer's own decisions.
- `prior`: the same for prior knowledge (the protocol rules' includes and excludes); it seeds the
  model with weight `PRIOR_WEIGHT` (below a human label's 1.0) and a human label of the same
  record replaces it.
- `scores` returns one float per record (higher: likelier inclusion), labelled records included;
  `ranking` leaves the labelled ones out and breaks ties by a permutation drawn from `seed`.
- With both classes among labels and prior, the model named in `MODELS` is trained; with one
  class only (the cold start), a record scores by its cosine similarity to the known includes
  (or minus its similarity to the known excludes); with nothing known, every score is 0.

Features: TF-IDF over folded words and word pairs with sublinear tf (the field's recipe, as in
ASReview and Cormack & Grossman's CAL). The vectoriser is fitted on all texts once; retraining
touches only the labelled rows, and scoring is one sparse matrix-vector product.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from slr.errors import SlrError
from slr.normalize.text import fold

PRIOR_WEIGHT = 0.5  # a rule's include or exclude counts half a human decision


@dataclass(frozen=True)
class Model:
    """A named classifier: `build(seed)` returns an unfitted scikit-learn estimator."""

    name: str
    description: str
    build: Callable[[int], Any]


def _logistic(seed: int) -> Any:
    return LogisticRegression(C=1.0, class_weight="balanced", solver="liblinear", random_state=seed)


def _svm(seed: int) -> Any:
    return LinearSVC(C=0.5, class_weight="balanced", random_state=seed)


def _naive_bayes(seed: int) -> Any:
    return MultinomialNB(alpha=0.1)


MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        Model("logistic", "logistic regression, classes re-balanced", _logistic),
        Model("svm", "linear support vector machine, classes re-balanced", _svm),
        Model("nb", "multinomial naive Bayes, classes re-balanced by sample weights", _naive_bayes),
    )
}
DEFAULT_MODEL = "logistic"


def record_text(title: str | None, abstract: str | None, keywords: str | None = None) -> str:
    """The text a record is ranked by: title, abstract and keywords, one string."""
    return " ".join(part for part in (title, abstract, keywords) if part)


def _vectoriser() -> TfidfVectorizer:
    return TfidfVectorizer(
        preprocessor=fold,  # the one folding of the project: accents, case, punctuation
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=1,
        max_df=0.95,
        dtype=np.float32,
    )


def model_named(name: str) -> Model:
    try:
        return MODELS[name]
    except KeyError:
        raise SlrError(
            f"no ranking model named {name!r}", f"choose one of: {', '.join(MODELS)}"
        ) from None


class Ranker:
    """All records vectorised once; `scores` retrains the chosen classifier on the labels."""

    def __init__(self, matrix: sparse.csr_matrix, model: Model) -> None:
        self.matrix = matrix
        self.model = model

    @classmethod
    def fit(cls, texts: Sequence[str], model: str = DEFAULT_MODEL) -> Ranker:
        chosen = model_named(model)
        if not texts:
            return cls(sparse.csr_matrix((0, 0), dtype=np.float32), chosen)
        try:
            matrix = _vectoriser().fit_transform(texts)
        except ValueError:  # every text empty (or only stop words): nothing to learn from
            matrix = sparse.csr_matrix((len(texts), 1), dtype=np.float32)
        return cls(sparse.csr_matrix(matrix), chosen)

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def training_set(
        self, labels: Mapping[int, bool], prior: Mapping[int, bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Indices, classes (1 include) and sample weights: human labels 1, prior PRIOR_WEIGHT."""
        known: dict[int, tuple[bool, float]] = {}
        for index, included in (prior or {}).items():
            known[index] = (included, PRIOR_WEIGHT)
        for index, included in labels.items():
            known[index] = (included, 1.0)
        indices = np.fromiter(known, dtype=np.int64, count=len(known))
        classes = np.fromiter((int(v[0]) for v in known.values()), dtype=np.int8, count=len(known))
        weights = np.fromiter((v[1] for v in known.values()), dtype=np.float64, count=len(known))
        return indices, classes, weights

    def scores(
        self,
        labels: Mapping[int, bool],
        prior: Mapping[int, bool] | None = None,
        seed: int = 1,
    ) -> np.ndarray:
        """One score per record, higher for a likelier inclusion."""
        indices, classes, weights = self.training_set(labels, prior)
        if len(self) == 0:
            return np.zeros(0)
        if indices.size == 0:
            return np.zeros(len(self))
        if classes.min() == classes.max():  # one class known: similarity to it
            centroid = np.asarray(self.matrix[indices].T @ weights).ravel()
            similarity = np.asarray(self.matrix @ centroid, dtype=np.float64).ravel()
            return similarity if classes[0] == 1 else -similarity
        return self._classifier_scores(indices, classes, weights, seed)

    def _classifier_scores(
        self, indices: np.ndarray, classes: np.ndarray, weights: np.ndarray, seed: int
    ) -> np.ndarray:
        # re-balancing by weights, so that prior weights and class balance combine
        balanced = weights.copy()
        for value in (0, 1):  # each class weighs half of the whole, as class_weight="balanced"
            chosen = classes == value
            balanced[chosen] *= len(classes) / (2 * weights[chosen].sum())
        classifier = self.model.build(seed)
        if "class_weight" in classifier.get_params():
            classifier.set_params(class_weight=None)
        classifier.fit(self.matrix[indices], classes, sample_weight=balanced)
        if hasattr(classifier, "decision_function"):
            return np.asarray(classifier.decision_function(self.matrix), dtype=np.float64)
        log_probabilities = classifier.predict_log_proba(self.matrix)
        return np.asarray(log_probabilities[:, 1] - log_probabilities[:, 0], dtype=np.float64)

    def ranking(
        self,
        labels: Mapping[int, bool],
        prior: Mapping[int, bool] | None = None,
        seed: int = 1,
    ) -> np.ndarray:
        """The records in neither `labels` nor `prior`, likeliest inclusion first."""
        scores = self.scores(labels, prior, seed)
        return order_unlabelled(scores, set(labels) | set(prior or {}), seed)


def order_unlabelled(scores: np.ndarray, labelled: set[int], seed: int) -> np.ndarray:
    """Indices not in `labelled` by descending score; ties in a order drawn from `seed`."""
    tie_break = np.random.default_rng(seed).permutation(scores.size)
    order = np.lexsort((tie_break, -scores))
    if not labelled:
        return order
    mask = np.ones(scores.size, dtype=bool)
    mask[np.fromiter(labelled, dtype=np.int64, count=len(labelled))] = False
    return order[mask[order]]
