"""The relevance ranking: what it learns, that it is deterministic, and its cold start."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from slr.errors import SlrError
from slr.models import Record
from slr.screening.ranking import (
    MODELS,
    PRIOR_WEIGHT,
    Ranker,
    order_unlabelled,
    record_text,
    text_of,
    used_columns,
)

TOPIC = "mindfulness based stress reduction randomised trial anxiety nurses"
OTHERS = (
    "supply chain logistics inventory optimisation warehouse",
    "soil nitrogen crop yield irrigation wheat",
    "deep learning image segmentation convolutional network",
    "monetary policy inflation central bank interest rates",
    "coral reef bleaching ocean temperature",
)


def corpus() -> tuple[list[str], dict[int, bool], int]:
    """40 records: every 8th about the review's topic (labelled included), the rest about five
    other subjects (labelled excluded), and one unlabelled record plainly on the topic."""
    texts = []
    for number in range(40):
        if number % 8 == 0:
            texts.append(f"{TOPIC} study {number}")
        else:
            texts.append(f"{OTHERS[number % 5]} study {number}")
    labels = {i: i % 8 == 0 for i in range(0, 40, 2)}  # half the records labelled
    texts.append("a randomised trial of mindfulness for anxiety and stress in nurses")
    return texts, labels, len(texts) - 1


@pytest.mark.parametrize("model", list(MODELS))
def test_a_planted_obvious_inclusion_is_ranked_first(model: str) -> None:
    texts, labels, planted = corpus()
    ranker = Ranker.fit(texts, model)
    order = ranker.ranking(labels, seed=1)
    assert order[0] == planted
    assert sorted(order.tolist()) == sorted(set(range(len(texts))) - set(labels))


@pytest.mark.parametrize("model", list(MODELS))
def test_the_same_seed_gives_the_same_scores(model: str) -> None:
    texts, labels, _ = corpus()
    ranker = Ranker.fit(texts, model)
    first = ranker.scores(labels, seed=7)
    again = Ranker.fit(texts, model).scores(labels, seed=7)
    assert np.array_equal(first, again)


def test_prior_knowledge_counts_below_a_human_label_and_a_human_label_replaces_it() -> None:
    ranker = Ranker.fit(["a b", "c d", "e f"])
    indices, classes, weights = ranker.training_set({0: True}, prior={0: False, 1: False})
    assert dict(zip(indices.tolist(), classes.tolist(), strict=True)) == {0: 1, 1: 0}
    assert dict(zip(indices.tolist(), weights.tolist(), strict=True)) == {0: 1.0, 1: PRIOR_WEIGHT}


def test_rules_alone_rank_before_any_human_decision() -> None:
    texts, labels, planted = corpus()
    rule_prior = {i: v for i, v in labels.items() if i < 17}  # what rules decided, no person
    order = Ranker.fit(texts).ranking({}, prior=rule_prior, seed=1)
    assert set(order[:3].tolist()) == {0, 8, 16}  # the rules' includes: nobody has read them
    unread = [index for index in order.tolist() if index not in rule_prior]
    assert set(unread[:3]) == {24, 32, planted}  # the three on the topic the rules missed


def test_one_class_known_ranks_by_similarity_and_nothing_known_by_the_seed() -> None:
    texts, _, planted = corpus()
    ranker = Ranker.fit(texts)
    assert ranker.ranking({0: True}, seed=1)[0] in {8, 16, 24, 32, planted}
    assert ranker.scores({}).tolist() == [0.0] * len(texts)
    assert ranker.ranking({}, seed=1).tolist() != ranker.ranking({}, seed=2).tolist()
    assert ranker.ranking({}, seed=1).tolist() == ranker.ranking({}, seed=1).tolist()


def test_empty_texts_and_no_records_do_not_break_the_ranker() -> None:
    assert Ranker.fit([]).scores({}).size == 0
    ranker = Ranker.fit(["", "", ""])
    assert ranker.ranking({0: True, 1: False}).tolist() == [2]


def test_an_unknown_model_is_an_error_naming_the_models() -> None:
    with pytest.raises(SlrError) as error:
        Ranker.fit(["a"], "forest")
    assert error.value.message == "no ranking model named 'forest'"
    assert error.value.hint == "choose one of: logistic, svm, nb, ensemble"


def test_a_records_text_is_title_abstract_and_keywords() -> None:
    record = Record(title="T", abstract="A", author_keywords=["k1"], index_keywords=["k2"])
    assert text_of(record) == "T A k1; k2"
    assert record_text("T", None, "") == "T"


@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=40),
    st.sets(st.integers(0, 39)),
    st.integers(0, 2**32 - 1),
)
def test_the_order_is_every_unlabelled_record_once_by_descending_score(
    scores: list[float], labelled: set[int], seed: int
) -> None:
    values = np.asarray(scores)
    labelled = {i for i in labelled if i < values.size}
    order = order_unlabelled(values, labelled, seed)
    assert sorted(order.tolist()) == sorted(set(range(values.size)) - labelled)
    assert all(values[a] >= values[b] for a, b in itertools.pairwise(order))


def test_a_broad_rule_cannot_outvote_the_first_human_decisions() -> None:
    """300 rule includes weigh, together, half of the two human labels."""
    ranker = Ranker.fit([f"record {i}" for i in range(310)])
    prior = dict.fromkeys(range(10, 310), True)
    indices, classes, weights = ranker.training_set({0: True, 1: False}, prior)
    from_rules = indices >= 10
    assert weights[from_rules].sum() == pytest.approx(PRIOR_WEIGHT * 2)
    assert classes[from_rules].tolist() == [1] * 300
    assert weights[~from_rules].tolist() == [1.0, 1.0]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), max_size=8), min_size=1, max_size=12))
def test_used_columns_is_the_column_slice(rows: list[list[int]]) -> None:
    dense = np.zeros((len(rows), 31), dtype=np.float32)
    for row, columns in enumerate(rows):
        for column in columns:
            dense[row, column] += 1.5
    training = sparse.csr_matrix(dense)
    training.sort_indices()
    compact, used = used_columns(training)
    assert used.tolist() == sorted({c for columns in rows for c in columns})
    expected = training[:, used]
    assert (compact != expected).nnz == 0 and compact.shape == expected.shape
    assert compact.has_sorted_indices or compact.nnz == 0
