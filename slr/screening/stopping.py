"""When title/abstract screening may stop: the protocol's `[screening.stopping]` rule, pure.

Every rule reads the labels of the records screened so far, in the order they were screened
(True: relevant, that is included or kept for a closer look; False: excluded), the number of
records the stage holds, and its parameters (defaults and ranges: STOPPING_RULES in
slr/protocol/model.py). It answers with a Verdict: stop or not, the figures behind the answer,
and whether the next record should be the ranking's first or one drawn at random, because two
of the rules need records drawn at random to mean what they say.

- `statistical`: Callaghan & Mueller-Hansen (2020, Syst Rev 9:274). Records are screened in
  ranked order until `ranked_until` irrelevant records come in a row; from then on records are
  drawn at random from those left, and after each one the hypergeometric test asks: had recall
  been below `recall`, how likely is it to have found this few relevant records in the random
  sample? When that probability (the p value, as published: K = floor(found / recall -
  found_before + 1) over the records left when sampling began, the sample's relevant records
  only) falls below the test's level, "recall below the target" is rejected and screening may
  stop. Tested after every record at 1 - `confidence` itself, as published and in the
  authors' code, the rule stops short of the target more often than it promises (optional
  stopping: 6.6% at 0.95/0.95 with 150 relevant records found and 9 left, 10% with 600 found
  and 38 left). So the level is set once, when sampling begins (`sequential_level`): the
  largest at most 1 - `confidence` at which the exact chance of stopping below the target,
  computed over every way the sample can go (`shortfall_risks`), is at most 1 - `confidence`
  for every number of relevant records the pool may hold. That is the promise kept whenever
  the test is looked at. The verdict gives the p value, that level, the recall bound at it,
  and the sample size at which the rule stops if no more relevant records are found.
- `safe`: the SAFE procedure (Boetje & van de Schoot 2024, Syst Rev 13:81), its steps as
  phases: (1) a random training set of `training_fraction` of the records; (2) active learning
  until all three of its heuristics hold: at least `estimate_factor` times the number of relevant
  records the training set's prevalence predicts screened, at least `screened_fraction` of the
  records screened, and `irrelevant_in_a_row` irrelevant records in a row; (3) a different model
  ranks the rest, until `irrelevant_in_a_row` irrelevant records in a row again. Its fourth
  phase (a second screener re-reading the excluded records the models rank highest, and citation
  checking) is people's work and is not automated here: the verdict names it.
- `irrelevant_in_a_row`: ASReview's heuristic: stop after `n` irrelevant records in a row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy.stats import hypergeom

from slr.protocol.model import STOPPING_RULES, StoppingSpec

RANKING = "ranking"
RANDOM = "random"

Figure = int | float


@dataclass(frozen=True, slots=True)
class Verdict:
    """A stopping rule's answer after the labels seen so far."""

    rule: str
    stop: bool
    next_from: str  # RANKING | RANDOM: where the next record should come from
    screened: int
    total: int
    found: int  # relevant records among the screened
    phase: str  # what the rule is doing now, in words
    figures: dict[str, Figure] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the screen, `slr screen progress` and `slr screen stop`."""
        state = "met" if self.stop else "not met"
        shown = "; ".join(f"{name} {_show(value)}" for name, value in self.figures.items())
        return (
            f"stopping rule {self.rule}: {state} ({self.phase}; {self.screened:,} of "
            f"{self.total:,} screened, {self.found:,} relevant{'; ' + shown if shown else ''})"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "stop": self.stop,
            "next_from": self.next_from,
            "screened": self.screened,
            "total": self.total,
            "found": self.found,
            "phase": self.phase,
            "figures": dict(self.figures),
        }


def _show(value: Figure) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return f"{value:,}"


def _run_ends(labels: Sequence[bool], start: int, run: int) -> int | None:
    """The first position (a count of labels) from `start` on at which the last `run` labels,
    all after `start`, are irrelevant; None when there is none yet."""
    in_a_row = 0
    for position in range(start, len(labels)):
        in_a_row = 0 if labels[position] else in_a_row + 1
        if in_a_row >= run:
            return position + 1
    return None


def _trailing_irrelevant(labels: Sequence[bool]) -> int:
    count = 0
    for label in reversed(labels):
        if label:
            break
        count += 1
    return count


def _missed_at_least(found: int, found_before: int, recall: float) -> int:
    """K of the test: under "recall below `recall`" with `found` relevant records found, at
    least this many were in the pool when sampling began (`found_before` found before it).
    The recall as written (0.95, not the binary float just below it), so 95 found of 100 is
    exactly the target."""
    return math.floor(found / Fraction(repr(recall)) - found_before + 1)


def hypergeometric_p(found: int, found_before: int, sample: int, pool: int, recall: float) -> float:
    """The p value of "recall is below `recall`" after a random sample of `sample` records,
    drawn from the `pool` records left when sampling began, found `found - found_before`
    relevant ones (`found_before`: relevant records found before sampling).

    Under that hypothesis at least K = floor(found / recall - found_before + 1) relevant
    records were in the pool; the p value is the probability of drawing this few or fewer
    with K among `pool`: the hypergeometric distribution's cdf (Callaghan & Mueller-Hansen
    2020, eq. 3)."""
    missed_at_least = _missed_at_least(found, found_before, recall)
    if missed_at_least > pool:
        return 0.0  # the pool cannot hold that many: recall cannot be below the target
    return float(hypergeom.cdf(found - found_before, pool, missed_at_least, sample))


def recall_bound(found: int, found_before: int, sample: int, pool: int, confidence: float) -> float:
    """The recall reached, with `confidence`: the pool holds at most K - 1 relevant records,
    K the smallest number the sample rejects (cdf < 1 - confidence), so recall is at least
    found / (found_before + K - 1). The cdf falls as K grows."""
    in_sample = found - found_before
    rejected = _first_below(
        lambda relevant: float(hypergeom.cdf(in_sample, pool, relevant, sample)),
        in_sample,
        pool - (sample - in_sample),  # the counts the pool can hold
        1 - confidence,
    )
    relevant_at_most = found_before + rejected - 1  # the largest count not rejected
    return 1.0 if relevant_at_most <= 0 else found / relevant_at_most


def stopping_sample_sizes(
    found_before: int, pool: int, level: float, recall: float, counts: int
) -> np.ndarray:
    """For each count k = 0 .. `counts` - 1 of relevant records in the random sample: the
    sample size from which the test at `level` rejects "recall below `recall`" (`pool` + 1:
    never): the test stops at (sample size, k) exactly when the size is at least the k-th."""
    return np.array(
        [stopping_sample_size(found_before, pool, level, recall, k) for k in range(counts)],
        dtype=np.int64,
    )


def stopping_sample_size(found_before: int, pool: int, level: float, recall: float, k: int) -> int:
    """The smallest random sample holding `k` relevant records at which the test at `level`
    rejects "recall below `recall`" (`pool` + 1: none). The p value falls as the sample grows
    with k fixed."""
    missed_at_least = _missed_at_least(found_before + k, found_before, recall)
    if missed_at_least > pool:
        return k  # the pool cannot hold enough to miss the target: no more sample needed
    return _first_below(
        lambda drawn: float(hypergeom.cdf(k, pool, missed_at_least, drawn)),
        k,  # a sample holding k relevant records has at least k records
        pool,
        level,
    )


def _first_below(falling: Callable[[int], float], low: int, high: int, level: float) -> int:
    """The smallest x in low..high with falling(x) < level (high + 1: none), for a function
    that does not grow with x: a binary search."""
    if falling(high) >= level:
        return high + 1
    if falling(low) < level:
        return low
    while high - low > 1:  # invariant: falling(low) >= level > falling(high)
        middle = (low + high) // 2
        if falling(middle) < level:
            high = middle
        else:
            low = middle
    return high


def _short_counts(found_before: int, relevant_left: int, recall: float) -> int:
    """How many counts k = 0, 1, ... of relevant records in the sample leave recall below
    `recall` when `relevant_left` were in the pool: found_before + k < recall * all."""
    target = Fraction(repr(recall)) * (found_before + relevant_left)
    return max(0, min(math.ceil(target - found_before), relevant_left + 1))


def shortfall_risks(
    found_before: int,
    pool: int,
    relevant_left: Sequence[int],
    sizes: np.ndarray,
    recall: float,
) -> np.ndarray:
    """For each number of relevant records in the pool, the exact probability that the rule
    that stops at sample size `sizes[k]` with k relevant in the sample stops with recall below
    `recall`. Over the states (records drawn, relevant among them) of the sample, one row per
    number in `relevant_left`; only the counts that would fall short are followed (the count
    only grows: once past them, a stop cannot fall short)."""
    lefts = np.asarray(relevant_left, dtype=np.int64)
    shorts = np.array([_short_counts(found_before, int(k), recall) for k in lefts], dtype=int)
    followed = int(shorts.max(initial=0))
    if followed == 0:
        return np.zeros(lefts.size)
    sizes = np.concatenate([sizes[:followed], np.full(max(0, followed - sizes.size), pool + 1)])
    counts = np.arange(followed)
    tracked = counts[None, :] < shorts[:, None]
    # no stop before the first size: up to it the sample is plain hypergeometric
    first = int(min(sizes.min(), pool + 1))
    still = hypergeom.pmf(counts[None, :], pool, lefts[:, None], max(first - 1, 0)) * tracked
    risk = np.zeros(lefts.size)
    relevant_unseen = np.clip(lefts[:, None] - counts[None, :], 0, None).astype(float)
    for drawn in range(max(first, 1), pool + 1):
        if not still.any():
            break
        relevant_next = relevant_unseen / (pool - drawn + 1)
        moved = still * (1 - relevant_next)
        moved[:, 1:] += (still * relevant_next)[:, :-1]
        still = moved * tracked
        stops = sizes <= drawn
        if stops.any():
            risk += still[:, stops].sum(axis=1)
            still[:, stops] = 0.0
    return risk


# How many numbers of relevant records left past the least that falls short are checked: the
# risk is highest just past it (few left, each look a new chance to stop short) and settles
# at about the level beyond (tests/test_stopping.py checks every number on small pools).
RELEVANT_LEFT_CHECKED = 40


def _checked_lefts(found_before: int, pool: int, recall: float) -> list[int]:
    least = 0
    while least <= pool and _short_counts(found_before, least, recall) == 0:
        least += 1
    return list(range(least, min(pool, least + RELEVANT_LEFT_CHECKED) + 1))


# sequential_level's answers in this process: one per start of a random sample
_levels: dict[tuple[int, int, float, float], float] = {}


def sequential_level(found_before: int, pool: int, recall: float, confidence: float) -> float:
    """The level the test is run at after every record drawn: the largest at most
    1 - `confidence` whose chance of stopping below the target is at most 1 - `confidence`
    whatever the number of relevant records left (within 2% of the largest, by bisection).
    Computed once per start of a sample: under a second for 2,000 records left, about 3 s for
    20,000, 15 s for 95,000 (the screen computes it aside)."""
    key = (found_before, pool, recall, confidence)
    level = _levels.get(key)
    if level is None:
        level = _levels[key] = _largest_safe_level(*key)
    return level


def _sample_began(labels: Sequence[bool], ranked_until: float) -> tuple[int, int] | None:
    """The statistical rule's random sample: the records screened before it began and the
    relevant ones among them; None while the ranked phase lasts."""
    start = _run_ends(labels, 0, int(ranked_until))
    return None if start is None else (start, sum(map(bool, labels[:start])))


def level_to_compute(
    spec: StoppingSpec, labels: Sequence[bool], total: int
) -> tuple[int, int, float, float] | None:
    """The arguments of `sequential_level` that `check` needs now and this process has not
    computed yet (the statistical rule, its random sample begun), so that a screen can compute
    it aside instead of making the reviewer wait; None when `check` is quick."""
    if spec.rule != "statistical":
        return None
    began = _sample_began(labels, spec.parameters["ranked_until"])
    if began is None or len(labels) >= total:
        return None
    start, found_before = began
    recall, confidence = spec.parameters["recall"], spec.parameters["confidence"]
    key = (found_before, total - start, recall, confidence)
    return None if key in _levels else key


def level_pending(labels: Sequence[bool], total: int) -> Verdict:
    """The statistical rule's verdict while `level_to_compute` is being computed: not met."""
    return Verdict(
        "statistical",
        False,
        RANDOM,
        len(labels),
        total,
        sum(map(bool, labels)),
        "random sample; setting the test's level",
    )


def _largest_safe_level(found_before: int, pool: int, recall: float, confidence: float) -> float:
    alpha = float(1 - Fraction(repr(confidence)))  # 0.05, not 0.050000000000000044
    lefts = _checked_lefts(found_before, pool, recall)
    if not lefts:
        return alpha

    def worst(level: float) -> float:
        sizes = stopping_sample_sizes(found_before, pool, level, recall, max(lefts) + 1)
        return float(shortfall_risks(found_before, pool, lefts, sizes, recall).max())

    if worst(alpha) <= alpha:
        return alpha
    low, high = 0.0, alpha  # invariant: worst(low) <= alpha < worst(high)
    while high - low > alpha / 50:
        middle = (low + high) / 2
        if worst(middle) <= alpha:
            low = middle
        else:
            high = middle
    return low


def sample_shortfall_risk(
    found_before: int,
    pool: int,
    relevant_left: int,
    recall: float = 0.95,
    confidence: float = 0.95,
    level: float | None = None,
) -> float:
    """The exact probability that the statistical rule's random sample stops with recall below
    `recall`, when `relevant_left` of the `pool` records left at the end of the ranked phase are
    relevant (`found_before` found in it): what the rule promises to keep below 1 - `confidence`.
    At the rule's own level (`sequential_level`), or at `level` (1 - `confidence`: the test
    as published, repeated after every record)."""
    if level is None:
        level = sequential_level(found_before, pool, recall, confidence)
    sizes = stopping_sample_sizes(found_before, pool, level, recall, relevant_left + 1)
    return float(shortfall_risks(found_before, pool, [relevant_left], sizes, recall)[0])


def statistical(
    labels: Sequence[bool],
    total: int,
    recall: float = 0.95,
    confidence: float = 0.95,
    ranked_until: int = 50,
) -> Verdict:
    """Callaghan & Mueller-Hansen's criterion (see the module's docstring)."""
    screened, found = len(labels), sum(map(bool, labels))
    began = _sample_began(labels, ranked_until)
    if began is None:
        return Verdict(
            "statistical",
            screened >= total,
            RANKING,
            screened,
            total,
            found,
            "ranked phase"
            if screened < total
            else "every record screened before the random sample began",
            {"irrelevant_in_a_row": _trailing_irrelevant(labels), "ranked_until": ranked_until},
        )
    start, found_before = began
    sample = screened - start
    pool = total - start
    in_sample = found - found_before
    p_value = hypergeometric_p(found, found_before, sample, pool, recall)
    level = sequential_level(found_before, pool, recall, confidence)
    stops_at = stopping_sample_size(found_before, pool, level, recall, in_sample)
    stop = sample >= stops_at or screened >= total
    figures: dict[str, Figure] = {
        "p_value": p_value,
        "alpha": round(1 - confidence, 6),
        "level": round(level, 6),
        "recall_target": recall,
        "recall_bound": recall_bound(found, found_before, sample, pool, 1 - level),
        "confidence": confidence,
        "sample": sample,
        "sample_relevant": in_sample,
        "pool": pool,
    }
    if stops_at <= pool:
        figures["stops_at_sample"] = stops_at  # unless another relevant record turns up
    return Verdict("statistical", stop, RANDOM, screened, total, found, "random sample", figures)


def safe(
    labels: Sequence[bool],
    total: int,
    training_fraction: float = 0.01,
    screened_fraction: float = 0.1,
    estimate_factor: float = 2,
    irrelevant_in_a_row: int = 50,
) -> Verdict:
    """The SAFE procedure's phases (see the module's docstring)."""
    screened, found = len(labels), sum(map(bool, labels))
    run = int(irrelevant_in_a_row)
    training = min(total, max(1, math.ceil(training_fraction * total)))
    figures: dict[str, Figure] = {"training_set": training}
    if screened < training:
        return Verdict(
            "safe", False, RANDOM, screened, total, found, "1: random training set", figures
        )
    estimate = sum(map(bool, labels[:training])) / training * total
    figures["estimated_relevant"] = round(estimate, 1)
    least = max(estimate_factor * estimate, screened_fraction * total)
    figures["screen_at_least"] = math.ceil(least)
    # phase 2 ends at the first position past `least` after a run of irrelevant records
    phase_two_end = None
    in_a_row = 0
    for position in range(training, screened):
        in_a_row = 0 if labels[position] else in_a_row + 1
        if in_a_row >= run and position + 1 >= least:
            phase_two_end = position + 1
            break
    if phase_two_end is None:
        figures["irrelevant_in_a_row"] = min(_trailing_irrelevant(labels), screened - training)
        return Verdict(
            "safe",
            screened >= total,
            RANKING,
            screened,
            total,
            found,
            "2: active learning",
            figures,
        )
    figures["second_model_from"] = phase_two_end
    phase_three_end = _run_ends(labels, phase_two_end, run)
    figures["irrelevant_in_a_row"] = min(_trailing_irrelevant(labels), screened - phase_two_end)
    if phase_three_end is None:
        return Verdict(
            "safe",
            screened >= total,
            RANKING,
            screened,
            total,
            found,
            "3: another model ranks",
            figures,
        )
    return Verdict(
        "safe",
        True,
        RANKING,
        screened,
        total,
        found,
        "done; 4 (a second screener checks the top-ranked exclusions) is for people",
        figures,
    )


def irrelevant_in_a_row(labels: Sequence[bool], total: int, n: int = 100) -> Verdict:
    """ASReview's heuristic: stop after `n` irrelevant records in a row."""
    screened, found = len(labels), sum(map(bool, labels))
    in_a_row = _trailing_irrelevant(labels)
    return Verdict(
        "irrelevant_in_a_row",
        in_a_row >= n or screened >= total,
        RANKING,
        screened,
        total,
        found,
        "ranked screening",
        {"irrelevant_in_a_row": in_a_row, "n": n},
    )


def includes_unseen(labels: Sequence[bool], unseen: int, window: int = 50) -> float:
    """A rough estimate of the includes among the `unseen` records: the inclusion rate of the
    last `window` records screened, applied to all of them. Screened in the model's order the
    rate falls as screening goes on, so this overestimates (it errs on the side of screening on)."""
    recent = labels[-window:]
    return 0.0 if not recent else sum(recent) / len(recent) * unseen


RULES: dict[str, Callable[..., Verdict]] = {
    "statistical": statistical,
    "safe": safe,
    "irrelevant_in_a_row": irrelevant_in_a_row,
}
assert set(RULES) == set(STOPPING_RULES), "every rule the protocol accepts is computed here"


def check(spec: StoppingSpec, labels: Sequence[bool], total: int) -> Verdict:
    """The protocol's rule, with its parameters, on the labels so far."""
    return RULES[spec.rule](labels, total, **spec.parameters)


def spec_named(rule: str) -> StoppingSpec:
    """A rule with its default parameters (`slr simulate --stopping RULE`)."""
    return StoppingSpec.default(rule)


__all__ = [
    "RANDOM",
    "RANKING",
    "RULES",
    "Verdict",
    "check",
    "hypergeometric_p",
    "includes_unseen",
    "irrelevant_in_a_row",
    "level_pending",
    "level_to_compute",
    "recall_bound",
    "safe",
    "sample_shortfall_risk",
    "sequential_level",
    "shortfall_risks",
    "spec_named",
    "statistical",
    "stopping_sample_size",
    "stopping_sample_sizes",
]
