"""Benchmark: the stopping rules on every labelled set, 20 runs each, side by side.

Run: python tests/bench/stopping_bench.py [--runs 20] [--only NAME,...]

For every set in ../shared/benchmarks/screening/ (written to plain CSVs by screening_bench.py's
loaders) and every seed, one screening is replayed with slr's ranking model and the three rules
of slr/screening/stopping.py, with their default parameters (as `[screening.stopping]` gives
them), read the same records:

1. the prior knowledge: 1 included and 1 excluded record drawn with the seed (as `slr simulate`
   and ASReview draw it);
2. SAFE's random training set (1% of the records), drawn with the seed: every rule reads it, so
   they are compared on the same records;
3. records in the order of the ranking model, retrained as `slr simulate` retrains it, until
   the heuristic has stopped, the statistical rule has begun its random sample and SAFE has
   finished its active-learning phase.

Then each rule goes its own way: `irrelevant_in_a_row` stops on that order; `statistical` draws
the records left at random (the model plays no part in its sample) until the hypergeometric test
rejects "recall below 0.95" at 0.95 confidence (at the level set when sampling begins); SAFE
goes on with a second model (naive Bayes over the same features) until 50 irrelevant records in
a row. For each rule and run: the recall at the stop (included records found / all included)
and the work saved (1 - records screened / records). The statistical criterion promises recall
>= 0.95 in at least 95% of runs; the table says, per set, in how many runs each rule reached it.

Results are cached per set in the work folder (SLR_SCREENING_BENCH, default
the screening bench's work folder, under stopping/), so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screening_bench import WORK, DataSet, prepare

from slr.protocol.model import StoppingSpec
from slr.screening.ranking import Ranker, model_named
from slr.screening.simulate import RETRAIN_GROWTH, draw_prior, read_labelled_csv
from slr.screening.stopping import (
    RANDOM,
    check,
    sample_shortfall_risk,
    sequential_level,
    statistical,
    stopping_sample_sizes,
)

RULES = ("statistical", "safe", "irrelevant_in_a_row")
SECOND_MODEL = "nb"  # SAFE's phase 3: another model over the same features
RESULTS = WORK / "stopping"


@dataclass
class Outcome:
    rule: str
    screened: int
    found: int
    # the statistical rule: its exact risk of stopping short from where its sample began
    risk: float | None = None

    def to_dict(self, records: int, included: int) -> dict[str, float | int | str]:
        shown: dict[str, float | int | str] = {
            "rule": self.rule,
            "screened": self.screened,
            "recall": self.found / included,
            "work_saved": 1 - self.screened / records,
        }
        if self.risk is not None:
            shown["risk"] = self.risk
        return shown


class Replay:
    """One screening in a ranker's order, retrained as `slr simulate` retrains it."""

    def __init__(self, ranker: Ranker, labels: list[bool], seed: int) -> None:
        self.ranker = ranker
        self.labels = labels
        self.seed = seed
        self.known: dict[int, bool] = {}
        self.history: list[int] = []
        self.order = np.zeros(0, dtype=np.int64)
        self.position = 0
        self.retrain_at = 0

    def read(self, index: int) -> None:
        label = self.labels[index]
        self.known[index] = label
        self.history.append(index)
        if label or len(self.known) >= self.retrain_at:
            self.retrain()

    def retrain(self) -> None:
        self.order = self.ranker.ranking(self.known, {}, self.seed)
        self.position = 0
        self.retrain_at = len(self.known) + max(1, int(len(self.known) * RETRAIN_GROWTH))

    def next_ranked(self) -> int | None:
        while self.position < len(self.order) and self.order[self.position] in self.known:
            self.position += 1
        return int(self.order[self.position]) if self.position < len(self.order) else None

    def history_labels(self) -> list[bool]:
        return [self.labels[index] for index in self.history]

    def fork(self, ranker: Ranker) -> Replay:
        other = Replay(ranker, self.labels, self.seed)
        other.known = dict(self.known)
        other.history = list(self.history)
        other.retrain()
        return other


def one_run(
    ranker: Ranker, labels: list[bool], seed: int, rules: tuple[str, ...] = RULES
) -> list[Outcome]:
    """Every rule's stop on one screening (`rules`: only those; the statistical rule alone
    needs only the ranked phase up to its switch, the cheap way to many runs)."""
    total = len(labels)
    specs = {rule: StoppingSpec.default(rule) for rule in RULES}
    rng = np.random.default_rng(seed)
    main = Replay(ranker, labels, seed)
    for index in draw_prior(labels, 1, 1, seed):
        main.known[index] = labels[index]
        main.history.append(index)
    main.retrain()
    heuristic: Outcome | None = None
    switch: int | None = None  # where the statistical rule's random sample begins
    safe_fork: Replay | None = None
    if rules == ("statistical",):  # the others are not asked for: no need to wait for them
        heuristic = Outcome("irrelevant_in_a_row", total, sum(labels))
        safe_fork = main
    while len(main.history) < total and (heuristic is None or switch is None or safe_fork is None):
        seen = main.history_labels()
        if heuristic is None and check(specs["irrelevant_in_a_row"], seen, total).stop:
            heuristic = Outcome("irrelevant_in_a_row", len(seen), sum(seen))
        if switch is None and check(specs["statistical"], seen, total).next_from == RANDOM:
            switch = len(seen)
        safe = check(specs["safe"], seen, total)
        if safe_fork is None and (safe.stop or "second_model_from" in safe.figures):
            safe_fork = main.fork(Ranker(ranker.matrix, model_named(SECOND_MODEL)))
        if safe.next_from == RANDOM:  # SAFE's random training set, read by every rule
            unread = np.setdiff1d(np.arange(total), main.history)
            pick = int(rng.choice(unread))
        else:
            ranked = main.next_ranked()
            assert ranked is not None
            pick = ranked
        main.read(pick)
    seen = main.history_labels()
    if heuristic is None:  # every record read
        heuristic = Outcome("irrelevant_in_a_row", total, sum(seen))
    outcomes = [_statistical(labels, main.history[: switch or total], seed), heuristic]
    if rules != ("statistical",):
        outcomes.append(_safe(safe_fork or main, specs["safe"], total))
    return [outcome for outcome in outcomes if outcome.rule in rules]


def _statistical(labels: list[bool], ranked: list[int], seed: int) -> Outcome:
    """The random sample after the ranked phase, until the rule's test rejects (at the level
    `sequential_level` sets when sampling begins)."""
    total = len(labels)
    spec = StoppingSpec.default("statistical").parameters
    recall, confidence = spec["recall"], spec["confidence"]
    found_before = sum(labels[index] for index in ranked)
    read = set(ranked)
    pool = [index for index in range(total) if index not in read]
    relevant_left = sum(labels) - found_before
    risk = sample_shortfall_risk(found_before, len(pool), relevant_left, recall, confidence)
    level = sequential_level(found_before, len(pool), recall, confidence)
    sizes = stopping_sample_sizes(found_before, len(pool), level, recall, relevant_left + 1)
    sample = np.random.default_rng(seed + 10_000).permutation(pool)
    found = found_before
    for drawn, index in enumerate(sample, start=1):
        found += labels[int(index)]
        if drawn >= sizes[found - found_before]:
            screened = len(ranked) + drawn
            sequence = [labels[i] for i in ranked] + [labels[int(i)] for i in sample[:drawn]]
            assert statistical(sequence, total).stop  # the rule itself agrees
            assert not statistical(sequence[:-1], total).stop  # and not a record sooner
            return Outcome("statistical", screened, found, risk)
    return Outcome("statistical", total, sum(labels), risk)


def _safe(replay: Replay, spec: StoppingSpec, total: int) -> Outcome:
    while len(replay.history) < total:
        seen = replay.history_labels()
        if check(spec, seen, total).stop:
            return Outcome("safe", len(seen), sum(seen))
        ranked = replay.next_ranked()
        assert ranked is not None
        replay.read(ranked)
    seen = replay.history_labels()
    return Outcome("safe", total, sum(seen))


def run_set(data: DataSet, runs: int, rules: tuple[str, ...] = RULES) -> dict:
    alone = "-statistical" if rules == ("statistical",) else ""
    cache = RESULTS / f"{data.name}-{runs}{alone}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    labelled = read_labelled_csv(data.path)
    started = time.perf_counter()
    ranker = Ranker.fit(labelled.texts)
    results = []
    for seed in range(1, runs + 1):
        for outcome in one_run(ranker, labelled.labels, seed, rules):
            results.append(
                {"seed": seed, **outcome.to_dict(len(labelled.labels), labelled.included)}
            )
    found = {
        "name": data.name,
        "records": len(labelled.labels),
        "included": labelled.included,
        "seconds": round(time.perf_counter() - started, 1),
        "runs": results,
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(found, indent=1))
    return found


def summary(result: dict, rule: str) -> tuple[int, int, float, float, float]:
    runs = [run for run in result["runs"] if run["rule"] == rule]
    reached = sum(run["recall"] >= 0.95 - 1e-12 for run in runs)
    recalls = [run["recall"] for run in runs]
    saved = statistics.fmean(run["work_saved"] for run in runs)
    return reached, len(runs), statistics.fmean(recalls), min(recalls), saved


def print_table(results: list[dict], rules: tuple[str, ...] = RULES) -> None:
    print(f"{'':<37}" + "".join(f" | {rule:<27}" for rule in rules))
    print(f"{'set':<26}{'N':>6}{'k':>5}" + " | >=.95  recall   min  saved" * len(rules))
    totals: dict[str, list] = {rule: [0, 0, [], []] for rule in rules}
    for result in results:
        line = f"{result['name']:<26}{result['records']:>6}{result['included']:>5}"
        for rule in rules:
            reached, n, mean_recall, least, saved = summary(result, rule)
            line += f" | {reached:>2}/{n:<2} {mean_recall:6.3f} {least:5.2f} {saved:6.3f}"
            totals[rule][0] += reached
            totals[rule][1] += n
            totals[rule][2].append(mean_recall)
            totals[rule][3].append(saved)
        print(line)
    line = f"{'all sets (mean of sets)':<37}"
    for rule in rules:
        reached, n, recalls, saved = totals[rule]
        line += (
            f" | {reached:>3}/{n:<3} {statistics.fmean(recalls):5.3f}       "
            f"{statistics.fmean(saved):6.3f}"
        )
    print(line)
    for rule in rules:
        worst = min((summary(r, rule)[0] / max(1, summary(r, rule)[1]), r["name"]) for r in results)
        print(f"{rule}: lowest share of runs with recall >= 0.95: {worst[0]:.0%} ({worst[1]})")


def at_most(successes: int, chances: list[float]) -> float:
    """P(no more than `successes` of independent runs succeed), run i with chance chances[i]
    (the Poisson binomial distribution, by convolution)."""
    distribution = np.zeros(len(chances) + 1)
    distribution[0] = 1.0
    for chance in chances:
        distribution[1:] = distribution[1:] * (1 - chance) + distribution[:-1] * chance
        distribution[0] *= 1 - chance
    return float(distribution[: successes + 1].sum())


def print_risk(results: list[dict]) -> None:
    """The statistical rule: runs that reached 0.95 against what its exact risk from each run's
    switch predicts, so that sampling noise and a real failure can be told apart."""
    print()
    print("statistical rule: exact chance of reaching 0.95 from each run's end of ranked phase")
    print(
        f"{'set':<26}{'runs':>5}{'reached':>8}{'expected':>9}{'max risk':>9}"
        f"{'P(<=|exact)':>12}{'P(<=|.95)':>10}"
    )
    for result in results:
        runs = [run for run in result["runs"] if run["rule"] == "statistical"]
        reached = sum(run["recall"] >= 0.95 - 1e-12 for run in runs)
        chances = [1 - run["risk"] for run in runs]
        print(
            f"{result['name']:<26}{len(runs):>5}{reached:>8}{sum(chances):>9.2f}"
            f"{max(run['risk'] for run in runs):>9.4f}{at_most(reached, chances):>12.3f}"
            f"{at_most(reached, [0.95] * len(runs)):>10.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated set names")
    parser.add_argument(
        "--statistical-only",
        action="store_true",
        help="only the statistical rule (its ranked phase ends at its switch: cheaper runs)",
    )
    options = parser.parse_args()
    rules = ("statistical",) if options.statistical_only else RULES
    wanted = {name for name in options.only.split(",") if name}
    sets = [data for data in prepare() if not wanted or data.name in wanted]
    sets.sort(key=lambda data: data.records)
    results = []
    for data in sets:
        started = time.perf_counter()
        results.append(run_set(data, options.runs, rules))
        print(
            f"{data.name}: done in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    print_table(results, rules)
    print_risk(results)


if __name__ == "__main__":
    main()
