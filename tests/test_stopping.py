"""Stopping rules (slr/screening/stopping.py) against hand-computed values, and the protocol's
`[screening.stopping]` table."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from math import comb
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slr.errors import ProtocolError
from slr.protocol import parse_protocol
from slr.protocol.model import StoppingSpec
from slr.screening.stopping import (
    RANDOM,
    RANKING,
    check,
    hypergeometric_p,
    irrelevant_in_a_row,
    recall_bound,
    safe,
    sample_shortfall_risk,
    sequential_level,
    shortfall_risks,
    statistical,
    stopping_sample_sizes,
)

T, F = True, False


def no_relevant_drawn(pool: int, relevant: int, drawn: int) -> float:
    """P(a random sample of `drawn` from `pool` holds none of its `relevant`), by counting."""
    return comb(pool - relevant, drawn) / comb(pool, drawn)


# -- the hypergeometric test ---------------------------------------------------------------


def test_p_value_by_hand_small_urn() -> None:
    # 2 relevant found before sampling, none in a sample of 5 of the 15 left. Recall below 0.95
    # needs floor(2/0.95 - 2 + 1) = 1 relevant record left: P(missing it) = C(14,5)/C(15,5)
    assert hypergeometric_p(2, 2, 5, 15, 0.95) == pytest.approx(2002 / 3003)
    assert hypergeometric_p(2, 2, 5, 15, 0.95) == pytest.approx(2 / 3)


def test_p_value_by_hand_target_recall_exact() -> None:
    # 95 found before sampling of 1,000: recall < 0.95 needs 6 left (95/101 < 0.95; 95/100 is
    # not below): the test uses the recall as written, not the float just under 0.95
    for drawn in (100, 300, 400):
        assert hypergeometric_p(95, 95, drawn, 900, 0.95) == pytest.approx(
            no_relevant_drawn(900, 6, drawn)
        )
    assert hypergeometric_p(95, 95, 100, 900, 0.95) == pytest.approx(0.4922, abs=1e-4)


def test_p_value_by_hand_with_relevant_in_the_sample() -> None:
    # 40 before, 2 in a sample of 50 of 500: K = floor(42/0.9 - 40 + 1) = 7;
    # P(X <= 2) = sum_i C(7,i) C(493,50-i) / C(500,50)
    expected = sum(comb(7, i) * comb(493, 50 - i) for i in range(3)) / comb(500, 50)
    assert hypergeometric_p(42, 40, 50, 500, 0.9) == pytest.approx(expected)
    assert expected == pytest.approx(0.9753, abs=1e-4)


def test_recall_bound_by_hand() -> None:
    # none in 5 of 15: 5 left is not rejected (C(10,5)/C(15,5) = 0.084), 6 is (0.042): at most
    # 5 relevant left, so recall >= 2/7 with 95% confidence
    assert no_relevant_drawn(15, 5, 5) > 0.05 > no_relevant_drawn(15, 6, 5)
    assert recall_bound(2, 2, 5, 15, 0.95) == pytest.approx(2 / 7)
    # the whole pool drawn, nothing relevant in it: every relevant record was found
    assert recall_bound(3, 3, 10, 10, 0.95) == 1.0


@given(
    st.integers(1, 60),
    st.integers(0, 400),
    st.integers(1, 400),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_stop_when_and_only_when_the_bound_reaches_the_target(
    found: int, left: int, drawn: int, recall: float, confidence: float
) -> None:
    """Rejecting "recall below the target" and a recall bound at or above it are one answer."""
    pool = left + drawn
    p_value = hypergeometric_p(found, found, drawn, pool, recall)
    bound = recall_bound(found, found, drawn, pool, confidence)
    assert (p_value < 1 - confidence) == (bound >= recall - 1e-12)


# -- the statistical rule's risk, exactly -------------------------------------------------


def shortfall_by_enumeration(
    found_before: int,
    pool: int,
    relevant_left: int,
    recall: float,
    confidence: float,
    published: bool = False,
) -> Fraction:
    """The share of the equally likely orders of the pool in which `statistical` itself stops
    with recall below `recall`: the ranked phase is `found_before` relevant records and a run
    of 2 irrelevant ones, then the pool is read in that order. `published`: the test as
    published instead, p < 1 - confidence after every record."""
    ranked = [T] * found_before + [F] * 2
    total = len(ranked) + pool
    short = 0
    orders = list(combinations(range(pool), relevant_left))
    for relevant_at in orders:
        sample = [position in relevant_at for position in range(pool)]
        for drawn in range(1, pool + 1):
            found = found_before + sum(sample[:drawn])
            if published:
                stops = hypergeometric_p(found, found_before, drawn, pool, recall) < 1 - confidence
            else:
                stops = statistical(ranked + sample[:drawn], total, recall, confidence, 2).stop
            if stops:
                short += found < Fraction(repr(recall)) * (found_before + relevant_left)
                break
    return Fraction(short, len(orders))


@pytest.mark.parametrize(
    ("state", "expected"),
    [((6, 12, 2, 0.8, 0.8), Fraction(5, 33)), ((10, 15, 3, 0.8, 0.8), Fraction(12, 65))],
)
def test_shortfall_risk_is_the_rules_own(
    state: tuple[int, int, int, float, float], expected: Fraction
) -> None:
    assert shortfall_by_enumeration(*state) == expected
    assert sample_shortfall_risk(*state) == pytest.approx(float(expected), abs=1e-12)


def test_the_published_test_breaks_its_promise_and_the_rule_keeps_it() -> None:
    # 9 relevant found, 3 of the 19 left relevant, 0.9/0.9: tested after every record at 0.1
    # as published, the sample stops short in 10.1% of the orders, more than promised
    state = (9, 19, 3, 0.9, 0.9)
    published = shortfall_by_enumeration(*state, published=True)
    assert published == Fraction(98, 969) and published > Fraction(1, 10)
    assert sample_shortfall_risk(*state, level=0.1) == pytest.approx(float(published), abs=1e-12)
    # the rule's level, set when sampling begins, keeps it: 6.1%, by the same enumeration
    level = sequential_level(9, 19, 0.9, 0.9)
    assert 0.09 < level < 0.1
    own = shortfall_by_enumeration(*state)
    assert own == Fraction(59, 969) and own <= Fraction(1, 10)
    assert sample_shortfall_risk(*state) == pytest.approx(float(own), abs=1e-12)


@pytest.mark.parametrize("state", [(150, 2_000), (40, 1_500), (100, 850), (10, 300)])
def test_the_rules_level_keeps_the_promise_for_every_number_left(
    state: tuple[int, int],
) -> None:
    """Whatever number of relevant records the pool holds, the rule at its own level stops
    below 0.95 recall with a chance of at most 5% (every number up to 300, where the search
    for the level checks only the 40 past the least that can fall short)."""
    found_before, pool = state
    level = sequential_level(found_before, pool, 0.95, 0.95)
    assert level <= 0.05
    lefts = list(range(min(pool, 300) + 1))
    sizes = stopping_sample_sizes(found_before, pool, level, 0.95, max(lefts) + 1)
    assert shortfall_risks(found_before, pool, lefts, sizes, 0.95).max() <= 0.05
    if found_before >= 40:  # near the target the published level does not keep it
        published = stopping_sample_sizes(found_before, pool, 0.05, 0.95, max(lefts) + 1)
        assert shortfall_risks(found_before, pool, lefts, published, 0.95).max() > 0.05
        assert level < 0.05


def test_shortfall_risk_far_from_and_near_the_target() -> None:
    # nothing left to find: stopping cannot fall short
    assert sample_shortfall_risk(100, 850, 0) == 0.0
    # recall at the switch far below the target (20 of 60): the sample nearly always finds out
    assert sample_shortfall_risk(20, 2_000, 40, level=0.05) == pytest.approx(0.009651, abs=1e-6)
    # just below the target (150 of 159: 0.943): the test, repeated after every record as
    # published, stops short more often than 1 - confidence (optional stopping); at the rule's
    # own level (3.75%) it does not
    assert sample_shortfall_risk(150, 2_000, 9, level=0.05) == pytest.approx(0.06578, abs=1e-5)
    assert sequential_level(150, 2_000, 0.95, 0.95) == pytest.approx(0.0375, abs=5e-4)
    assert sample_shortfall_risk(150, 2_000, 9) == pytest.approx(0.04932, abs=1e-5)


def test_stopping_sample_sizes_by_hand() -> None:
    # 100 found, 850 left: with none in the sample, recall < 0.95 needs 6 left (see below),
    # rejected at 0.05 from the first sample size whose chance of missing all 6 is below it
    sizes = stopping_sample_sizes(100, 850, 0.05, 0.95, 3)
    drawn = int(sizes[0])
    assert no_relevant_drawn(850, 6, drawn) < 0.05 <= no_relevant_drawn(850, 6, drawn - 1)
    assert drawn == 334 and sizes[1] > sizes[0] and sizes[2] > sizes[1]
    # 1,000 found and a pool of 10: recall below 0.95 needs 53 left, more than the pool holds,
    # so no sample is needed
    assert list(stopping_sample_sizes(1_000, 10, 0.05, 0.95, 2)) == [0, 1]


# -- the rules ---------------------------------------------------------------------------


def test_statistical_ranks_until_the_run_then_samples_at_random() -> None:
    ranked = [T, T, F, T, F, F]
    verdict = statistical(ranked, 20, ranked_until=3)
    assert (verdict.stop, verdict.next_from, verdict.phase) == (False, RANKING, "ranked phase")
    verdict = statistical([*ranked, F], 20, ranked_until=3)
    assert (verdict.stop, verdict.next_from, verdict.phase) == (False, RANDOM, "random sample")
    assert verdict.figures["sample"] == 0 and verdict.figures["pool"] == 13


def test_statistical_stops_when_the_test_rejects() -> None:
    # 100 relevant in the ranked phase, then 50 irrelevant: random sampling of 1,000 - 150
    labels = [T] * 100 + [F] * 50
    total = 1_000
    drawn = 0
    while True:
        verdict = statistical(labels + [F] * drawn, total)
        if verdict.stop:
            break
        drawn += 1
    # recall < 0.95 needs floor(100/0.95) - 100 + 1 = 6 relevant left among the 850; the test
    # is run at the level set when sampling began (3.83%, not 5%: it is looked at every record)
    level = verdict.figures["level"]
    assert level == pytest.approx(sequential_level(100, 850, 0.95, 0.95), abs=1e-6)
    assert 0.038 < level < 0.039
    assert no_relevant_drawn(850, 6, drawn) < level <= no_relevant_drawn(850, 6, drawn - 1)
    assert verdict.figures["p_value"] == pytest.approx(no_relevant_drawn(850, 6, drawn))
    assert verdict.figures["recall_bound"] >= 0.95
    assert (verdict.screened, verdict.found, verdict.figures["sample"]) == (150 + drawn, 100, drawn)
    assert drawn == 356 == verdict.figures["stops_at_sample"]
    # one record before, the verdict already said where it would stop
    before = statistical(labels + [F] * (drawn - 1), total)
    assert not before.stop and before.figures["stops_at_sample"] == 356


def test_statistical_stops_when_everything_is_screened() -> None:
    assert statistical([T, F, T], 3).stop


def test_irrelevant_in_a_row() -> None:
    assert not irrelevant_in_a_row([T] + [F] * 9, 100, n=10).stop
    verdict = irrelevant_in_a_row([T] + [F] * 10, 100, n=10)
    assert verdict.stop and verdict.figures == {"irrelevant_in_a_row": 10, "n": 10}
    assert "met (ranked screening; 11 of 100 screened, 1 relevant" in verdict.summary()


def test_safe_phases() -> None:
    total = 1_000  # training set: 1% = 10 records, 2 of them relevant: 200 estimated
    training = [T, F, F, T, F, F, F, F, F, F]
    verdict = safe(training[:9], total)
    assert (verdict.stop, verdict.next_from, verdict.phase) == (
        False,
        RANDOM,
        "1: random training set",
    )
    # phase 2 needs 2 x 200 = 400 screened and 50 irrelevant in a row
    labels = [*training, *[T] * 100, *[F] * 60]
    verdict = safe(labels, total)
    assert verdict.phase == "2: active learning" and verdict.figures["screen_at_least"] == 400
    labels += [F] * (400 - len(labels))
    verdict = safe(labels, total)
    assert verdict.phase == "3: another model ranks"
    assert verdict.figures["second_model_from"] == 400
    assert not verdict.stop and verdict.next_from == RANKING
    verdict = safe([*labels, T, *[F] * 49], total)
    assert not verdict.stop and verdict.figures["irrelevant_in_a_row"] == 49
    verdict = safe([*labels, T, *[F] * 50], total)
    assert verdict.stop and verdict.phase.startswith("done; 4 (a second screener")


def test_check_uses_the_protocols_parameters() -> None:
    spec = StoppingSpec("irrelevant_in_a_row", {"n": 3})
    assert check(spec, [T, F, F, F], 10).stop
    assert not check(StoppingSpec.default("irrelevant_in_a_row"), [T, F, F, F], 10).stop


# -- the protocol's [screening.stopping] ---------------------------------------------------

HEAD = '[review]\ntitle = "t"\n\n[screening.stopping]\n'


def test_protocol_stopping_defaults_and_values() -> None:
    protocol = parse_protocol(HEAD + 'rule = "statistical"\nrecall = 0.9\n', Path("p.toml"))
    assert protocol.stopping == StoppingSpec(
        "statistical", {"recall": 0.9, "confidence": 0.95, "ranked_until": 50}
    )
    assert parse_protocol('[review]\ntitle = "t"\n', Path("p.toml")).stopping is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'rule = "magic"\n',
            "p.toml:5: screening.stopping.rule must be one of statistical, safe, "
            'irrelevant_in_a_row (not "magic")',
        ),
        ("recall = 0.9\n", "p.toml:4: screening.stopping.rule must be one of"),
        (
            'rule = "statistical"\nrecall = 1.5\n',
            "p.toml:6: screening.stopping.recall must be 0.5 to 0.999",
        ),
        (
            'rule = "statistical"\nconfidence = "high"\n',
            "p.toml:6: screening.stopping.confidence must be a number",
        ),
        (
            'rule = "irrelevant_in_a_row"\nn = 2.5\n',
            "p.toml:6: screening.stopping.n must be a whole number",
        ),
        (
            'rule = "safe"\nn = 3\n',
            "p.toml:6: unknown key `n` in screening.stopping for rule 'safe' (known: rule, "
            "training_fraction, screened_fraction, estimate_factor, irrelevant_in_a_row)",
        ),
    ],
)
def test_protocol_stopping_errors(body: str, message: str) -> None:
    with pytest.raises(ProtocolError) as error:
        parse_protocol(HEAD + body, Path("p.toml"))
    assert message in str(error.value)
