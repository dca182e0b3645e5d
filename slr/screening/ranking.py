"""Relevance ranking for title/abstract screening (active learning): pure, fast, deterministic.

The API the screen and `slr simulate` call:

    ranker = Ranker.fit(texts, model="svm")   # vectorise every record once (the slow part)
    scores = ranker.scores(labels, prior=prior, seed=1)   # retrain the classifier only: fast
    order = ranker.ranking(labels, prior=prior, seed=1)   # unlabelled indices, likeliest first

- `texts`: one string per record, `record_text(title, abstract, keywords)`; records are known by
  their index in that sequence from then on.
- `labels`: {index: True for include, False for exclude}, a reviewer's own decisions.
- `prior`: the same for prior knowledge (the protocol rules' includes and excludes); it seeds the
  model with weight `PRIOR_WEIGHT` (below a human label's 1.0), a class of it never weighing
  more than PRIOR_WEIGHT times the human labels, and a human label of the same record replaces
  it.
- `scores` returns one float per record (higher: likelier inclusion), labelled records included;
  `ranking` leaves the records in `labels` out (not those only in `prior`) and breaks ties by a
  permutation drawn from `seed`.
- With both classes among labels and prior, the model named in `MODELS` is trained; with one
  class only (the cold start), a record scores by its cosine similarity to the known includes
  (or minus its similarity to the known excludes); with nothing known, every score is 0.

Features: TF-IDF over folded words and word pairs with sublinear tf (the field's recipe, as in
ASReview and Cormack & Grossman's CAL), hashed, computed once for all texts; retraining touches
only the labelled rows and the columns they use, and scoring is one sparse matrix-vector product
per model member (every model here is linear). Models (MODELS): `svm`, the default, a linear
SVM with ASReview LAB's tuned settings; `logistic`; `nb`; `ensemble` (the SVM and logistic
regression, ranks averaged). What was tried and measured: tests/bench/screening_bench.py.
The SVM ties ASReview LAB 3's default (mean normalised loss over the 19 benchmark sets .1424
against .1423, 5 priors each); rank-averaged ensembles with naive Bayes and with logistic
regression (.1442 to .1449), title words counted twice or as features of their own (.1418,
.1419, but up to .05 lower WSS@95 on single sets) and retraining after every label did not
beat it on two thirds of the sets, so it stays the default.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from slr.errors import SlrError
from slr.models import Record
from slr.normalize.text import fold

PRIOR_WEIGHT = 0.5  # a rule's include or exclude counts half a human decision


@dataclass(frozen=True)
class Member:
    """One estimator of a model: `build(seed)` returns it unfitted; it is trained with the
    included records' total weight `include_ratio` times the excluded records' (1: balanced)."""

    build: Callable[[int], Any]
    include_ratio: float = 1.0


@dataclass(frozen=True)
class Model:
    """A named ranking model: one estimator, or several whose scores are averaged as ranks."""

    name: str
    description: str
    members: tuple[Member, ...]


def _logistic(seed: int) -> Any:
    # the dual solver: its cost grows with the labelled records, not with the features
    return LogisticRegression(C=1.0, solver="liblinear", dual=True, random_state=seed)


def _svm(seed: int) -> Any:
    return LinearSVC(C=0.11, random_state=seed)


def _naive_bayes(seed: int) -> Any:
    return MultinomialNB(alpha=0.1)


# The SVM's settings are ASReview LAB 2's default (elas_u4: C 0.11, includes weighted 9.8 to 1),
# the field's reference point.
MODELS: dict[str, Model] = {
    model.name: model
    for model in (
        Model("logistic", "logistic regression, classes re-balanced", (Member(_logistic),)),
        Model("svm", "linear SVM, included records weighted up", (Member(_svm, 9.8),)),
        Model("nb", "multinomial naive Bayes, classes re-balanced", (Member(_naive_bayes),)),
        Model(
            "ensemble",
            "the SVM and the logistic regression, ranks averaged",
            (Member(_svm, 9.8), Member(_logistic)),
        ),
    )
}
DEFAULT_MODEL = "svm"  # the lowest mean loss on the benchmarks (tests/bench/screening_bench.py)


def record_text(title: str | None, abstract: str | None, keywords: str | None = None) -> str:
    """The text a record is ranked by: title, abstract and keywords, one string."""
    return " ".join(part for part in (title, abstract, keywords) if part)


def text_of(record: Record) -> str:
    """A record's ranking text: title, abstract, and its author and index keywords."""
    keywords = "; ".join([*record.author_keywords, *record.index_keywords])
    return record_text(record.title, record.abstract, keywords)


HASHED_FEATURES = 2**22  # words and word pairs hashed to columns: collisions are negligible


def words_and_pairs(text: str) -> list[str]:
    """The folded words of `text` of two characters or more (as scikit-learn's and ASReview's
    tokeniser keeps them) and each pair of neighbouring words."""
    words = [word for word in fold(text).split() if len(word) > 1]
    return words + [f"{first} {second}" for first, second in itertools.pairwise(words)]


MOST_RECORDS = 0.95  # a word in more of the records than this tells none apart: left out


def vectorise(texts: Sequence[str]) -> sparse.csr_matrix:
    """TF-IDF (sublinear tf, l2 norm) over words and word pairs, one row per text, leaving out
    those in more than MOST_RECORDS of the texts. Hashing instead of a vocabulary: the same
    matrix up to the columns' order, without building and sorting a dictionary of every word
    pair (most of the time on 100,000 records)."""
    hashed = HashingVectorizer(
        analyzer=words_and_pairs,
        n_features=HASHED_FEATURES,
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    ).transform(texts)
    frequency = np.bincount(hashed.indices, minlength=HASHED_FEATURES)
    # only the columns some text has (smaller models), and not the ones nearly all have
    used = np.flatnonzero((frequency > 0) & (frequency <= MOST_RECORDS * len(texts)))
    if used.size == 0:  # no text has a word: nothing to learn from, every score the same
        return sparse.csr_matrix((len(texts), 1), dtype=np.float32)
    counts = sparse.csr_matrix(hashed[:, used])
    matrix = sparse.csr_matrix(TfidfTransformer(sublinear_tf=True).fit_transform(counts))
    matrix.sort_indices()  # once here, not in every training slice
    return matrix


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
        matrix = vectorise(texts)
        return cls(matrix, chosen)

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def training_set(
        self, labels: Mapping[int, bool], prior: Mapping[int, bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Indices, classes (1 include) and sample weights: a human label weighs 1; a prior
        record PRIOR_WEIGHT, and the prior's includes (and its excludes) together never more
        than PRIOR_WEIGHT times the human labels (at least 1): a broad rule matching hundreds of
        records seeds the model but cannot outvote the reviewer's first decisions."""
        known: dict[int, tuple[bool, float]] = {}
        unread = {index: v for index, v in (prior or {}).items() if index not in labels}
        humans = max(1, len(labels))
        for included in (True, False):
            chosen = [index for index, v in unread.items() if v is included]
            weight = PRIOR_WEIGHT * min(1.0, humans / len(chosen)) if chosen else 0.0
            known.update(dict.fromkeys(chosen, (included, weight)))
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
            similarity = np.asarray(self.matrix @ centroid.astype(self.matrix.dtype), dtype=float)
            return similarity if classes[0] == 1 else -similarity
        return self._classifier_scores(indices, classes, weights, seed)

    def _classifier_scores(
        self, indices: np.ndarray, classes: np.ndarray, weights: np.ndarray, seed: int
    ) -> np.ndarray:
        training = self.matrix[indices]
        scores = [
            _fitted_scores(
                member.build(seed),
                training,
                classes,
                _rebalanced(classes, weights, member.include_ratio),
                self.matrix,
            )
            for member in self.model.members
        ]
        if len(scores) == 1:
            return scores[0]
        # ranks, not raw values: each model's scale is its own
        return np.mean([np.argsort(np.argsort(s)) for s in scores], axis=0) / len(self)

    def ranking(
        self,
        labels: Mapping[int, bool],
        prior: Mapping[int, bool] | None = None,
        seed: int = 1,
    ) -> np.ndarray:
        """The records not in `labels`, likeliest inclusion first (records known only from the
        prior stay in: a person has not read them yet)."""
        scores = self.scores(labels, prior, seed)
        return order_unlabelled(scores, set(labels), seed)


def _rebalanced(classes: np.ndarray, weights: np.ndarray, include_ratio: float) -> np.ndarray:
    """Sample weights scaled so that the includes weigh `include_ratio` times the excludes in
    all (by weights, not class_weight, so that the prior's lower weights still count)."""
    balanced = weights.copy()
    for value, share in ((0, 1 / (1 + include_ratio)), (1, include_ratio / (1 + include_ratio))):
        chosen = classes == value
        balanced[chosen] *= share * len(classes) / weights[chosen].sum()
    return balanced


def _fitted_scores(
    classifier: Any,
    training: sparse.csr_matrix,
    classes: np.ndarray,
    weights: np.ndarray,
    matrix: sparse.csr_matrix,
) -> np.ndarray:
    """Every model here is linear in the features: score = matrix @ w + b, computed in the
    matrix's float32 (scikit-learn's decision_function would copy it to float64 each time)."""
    if isinstance(classifier, MultinomialNB):
        classifier.fit(training, classes, sample_weight=weights)
        log_odds = classifier.feature_log_prob_[1] - classifier.feature_log_prob_[0]
        bias = classifier.class_log_prior_[1] - classifier.class_log_prior_[0]
    else:
        # L2-regularised: a feature no training record has gets weight 0, so it is left out of
        # the fit (the same solution, on far fewer columns)
        compact, used = used_columns(training)
        if used.size == 0:  # the labelled records have no words: nothing to tell them apart
            return np.zeros(matrix.shape[0])
        classifier.fit(compact, classes, sample_weight=weights)
        log_odds = np.zeros(matrix.shape[1])
        log_odds[used] = classifier.coef_[0]
        bias = classifier.intercept_[0]
    return np.asarray(matrix @ log_odds.astype(matrix.dtype), dtype=np.float64) + bias


def used_columns(training: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray]:
    """`training` with only the columns some row uses, and those columns (ascending): the same
    matrix as `training[:, used]`, by renumbering the column indices (a tenth of the time of
    scipy's column slicing on 20,000 rows)."""
    present = np.zeros(training.shape[1], dtype=bool)
    present[training.indices] = True  # (np.unique would sort or hash every entry)
    used = np.flatnonzero(present)
    renumbered = np.zeros(training.shape[1], dtype=training.indices.dtype)
    renumbered[used] = np.arange(used.size, dtype=training.indices.dtype)
    compact = sparse.csr_matrix(
        (training.data, renumbered[training.indices], training.indptr),
        shape=(training.shape[0], used.size),
    )
    return compact, used


def order_unlabelled(scores: np.ndarray, labelled: set[int], seed: int) -> np.ndarray:
    """Indices not in `labelled` by descending score; ties in a order drawn from `seed`."""
    tie_break = np.random.default_rng(seed).permutation(scores.size)
    order = np.lexsort((tie_break, -scores))
    if not labelled:
        return order
    mask = np.ones(scores.size, dtype=bool)
    mask[np.fromiter(labelled, dtype=np.int64, count=len(labelled))] = False
    return order[mask[order]]
