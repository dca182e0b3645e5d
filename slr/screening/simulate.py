"""Replay labelled screening data in the order a ranking model proposes, and measure it.

Metrics (the definitions of ../shared/benchmarks/screening/README.md, the field's conventions),
over the records screened after the prior knowledge (N records, k of them included), screened in
the simulated order; records the simulation did not reach count as excluded ones at the end:
- WSS@95 = (N - n)/N - 0.05, where n is the number screened when ceil(0.95 k) includes are found;
- RRF@10 = includes found among the first ceil(0.1 N) screened, as a fraction of k;
- ATD = mean over the included records of n/N, n the number screened when it was found (itself
  counted);
- loss (ASReview 2.x) = (ideal area - area under the recall curve) / (ideal area - worst area),
  the areas being sums of includes found after each record.
"""

from __future__ import annotations

import csv
import html
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from slr.errors import SlrError
from slr.importers.encoding import decode
from slr.models import STAGES
from slr.protocol.model import StoppingSpec
from slr.screening.ranking import DEFAULT_MODEL, Ranker, record_text, text_of
from slr.screening.status import FINAL, required_reviewers, resolve
from slr.screening.stopping import RANDOM, RANKING, Verdict, check
from slr.store import Review
from slr.store.screening import decision_snapshot, load_text_records


def metrics(screened: Sequence[bool], records: int, included: int) -> dict[str, float]:
    """WSS@95, RRF@10, ATD and loss of one ordering: `screened` the labels in the order read
    (it may stop early: the rest are taken as excluded), `records` N and `included` k."""
    if included <= 0 or included >= records:
        raise ValueError("metrics need at least one included and one excluded record")
    found = np.zeros(records, dtype=np.int64)
    found[: len(screened)] = np.asarray(screened, dtype=np.int64)
    cumulative = np.cumsum(found)
    if cumulative[-1] != included:
        raise ValueError("the ordering does not hold every included record")
    at_95 = int(np.searchsorted(cumulative, math.ceil(0.95 * included))) + 1
    first_tenth = math.ceil(0.1 * records)
    positions = np.flatnonzero(found) + 1
    ideal = included * (records - (included - 1) / 2)
    worst = included * (included + 1) / 2
    return {
        "wss95": (records - at_95) / records - 0.05,
        "rrf10": float(cumulative[first_tenth - 1]) / included,
        "atd": float(positions.mean()) / records,
        "loss": (ideal - float(cumulative.sum())) / (ideal - worst),
    }


# -- the data a simulation replays ------------------------------------------------------------


@dataclass(frozen=True)
class LabelledData:
    """Records' texts and their final labels (True: included), and prior knowledge from rules."""

    source: str
    texts: list[str]
    labels: list[bool]
    rule_prior: dict[int, bool] = field(default_factory=dict)

    @property
    def included(self) -> int:
        return sum(self.labels)


LABEL_COLUMN = "label_included"  # the ASReview convention
_LABEL_VALUES = {"1": True, "0": False, "1.0": True, "0.0": False, "true": True, "false": False}


# The columns a labelled file's text is read from, the ASReview names first (tables, not branches).
TEXT_COLUMNS = {
    "title": ("title", "primary_title", "ti", "article title", "document title"),
    "abstract": ("abstract", "notes_abstract", "ab", "abstract note"),
    "keywords": ("keywords", "author keywords", "kw", "de", "mesh terms"),
}


def read_labelled_csv(path: Path) -> LabelledData:
    """A CSV (comma, semicolon or tab) with `label_included` (1 or 0) and the text columns of
    TEXT_COLUMNS (title, abstract, optional keywords), decoded as slr's importers decode.
    Read here rather than by the CSV importer, which rightly refuses a row with no title, DOI or
    authors: a labelled record without them still counts. A row without a readable label is an
    error naming its line: a simulation that left records out would overstate the work saved."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SlrError(f"cannot read {path}: {error.strerror}", "check the path") from None
    text = decode(data, path.name).text
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if LABEL_COLUMN not in header:
        raise SlrError(
            f"{path.name} has no {LABEL_COLUMN} column",
            "add one with 1 for each included record and 0 for each excluded one",
        )
    label_at = header.index(LABEL_COLUMN)
    text_at = [
        next((header.index(name) for name in names if name in header), None)
        for names in TEXT_COLUMNS.values()
    ]
    if all(index is None for index in text_at):
        raise SlrError(f"{path.name} has no title or abstract column", "name them title, abstract")
    texts: list[str] = []
    labels: list[bool] = []
    problems: list[str] = []
    line = reader.line_num
    for row in reader:
        row_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        value = row[label_at].strip().lower() if label_at < len(row) else ""
        if value not in _LABEL_VALUES:
            problems.append(f"line {row_line}: {LABEL_COLUMN} is {value!r}, not 0 or 1")
            continue
        parts = [row[i] if i is not None and i < len(row) else "" for i in text_at]
        texts.append(record_text(*parts))
        labels.append(_LABEL_VALUES[value])
    if problems:
        shown = "; ".join(problems[:5])
        if len(problems) > 5:
            shown += f"; and {len(problems) - 5} more"
        raise SlrError(
            f"{len(problems)} row(s) of {path.name} cannot be simulated: {shown}",
            f"give every record a {LABEL_COLUMN} of 1 (included) or 0 (excluded)",
        )
    return _checked(LabelledData(str(path), texts, labels))


def review_labels(review: Review) -> LabelledData:
    """An existing review's human decisions at title/abstract (a reviewer's or a resolution's
    final include or exclude; records nobody decided are left out), with the protocol rules'
    includes and excludes of the same records as prior knowledge for `rule_prior`."""
    snapshot = decision_snapshot(review.db)
    statuses = resolve(snapshot, required_reviewers(review))
    stage = STAGES[0]
    rules = snapshot.stages[stage].rules if stage in snapshot.stages else {}
    texts: list[str] = []
    labels: list[bool] = []
    rule_prior: dict[int, bool] = {}
    for record_id, record in load_text_records(review.db):
        status = statuses.status_of(record_id, stage)
        if status is None or status.by not in HUMAN or status.status not in FINAL:
            continue
        rule = rules.get(record_id)
        if rule is not None and rule[0] in FINAL:
            rule_prior[len(texts)] = rule[0] == "include"
        texts.append(text_of(record))
        labels.append(status.status == "include")
    return _checked(LabelledData(review.shown, texts, labels, rule_prior))


HUMAN = ("reviewers", "resolution")


def _checked(data: LabelledData) -> LabelledData:
    if not data.labels or data.included == 0 or data.included == len(data.labels):
        raise SlrError(
            f"{data.source} has {len(data.labels)} labelled records, {data.included} included: "
            "a simulation needs at least one included and one excluded record",
            "label more records",
        )
    return data


# -- the simulation ----------------------------------------------------------------------------

# Retraining: after every label while few are known, then after every RETRAIN_GROWTH more
# labels (5% of those known), and always right after an include is found (what the model
# learns most from). ASReview retrains after every label; this keeps its order at the start
# and costs about 20 log(N) + k fits instead of N.
RETRAIN_GROWTH = 0.05


@dataclass
class Run:
    """One replay: the prior records, the records screened after them in order, the metrics,
    and the stopping rule's verdict when it said stop (None without a rule or if it never did)."""

    seed: int
    prior: list[int]
    screened: list[int]
    metrics: dict[str, float]
    stop: Verdict | None = None
    stop_recall: float | None = None
    prior_labels: list[bool] = field(default_factory=list)
    screened_labels: list[bool] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"seed": self.seed}
        result.update({name: round(value, 4) for name, value in self.metrics.items()})
        if self.stop is not None:
            result["stop"] = {
                "screened": self.stop.screened,
                "recall": round(self.stop_recall or 0.0, 4),
                "work_saved": round(1 - self.stop.screened / self.stop.total, 4),
                "verdict": self.stop.to_dict(),
            }
        return result


@dataclass
class Simulation:
    records: int
    included: int
    model: str
    runs: list[Run]

    def mean(self) -> dict[str, float]:
        return {name: statistics.fmean(run.metrics[name] for run in self.runs) for name in METRICS}

    def sd(self) -> dict[str, float]:
        if len(self.runs) < 2:
            return dict.fromkeys(METRICS, 0.0)
        return {name: statistics.stdev(run.metrics[name] for run in self.runs) for name in METRICS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "included": self.included,
            "runs": [run.to_dict() for run in self.runs],
            "mean": {name: round(value, 4) for name, value in self.mean().items()},
        }


METRICS = ("wss95", "rrf10", "atd", "loss")


def draw_prior(labels: Sequence[bool], included: int, excluded: int, seed: int) -> list[int]:
    """`included` included and `excluded` excluded records drawn at random (seeded)."""
    rng = np.random.default_rng(seed)
    flags = np.asarray(labels, dtype=bool)
    chosen: list[int] = []
    for pool, count in ((np.flatnonzero(flags), included), (np.flatnonzero(~flags), excluded)):
        if count > pool.size:
            raise SlrError(
                f"cannot draw {count} prior record(s) from {pool.size}",
                "lower --prior-included or --prior-excluded",
            )
        chosen += [int(i) for i in rng.choice(pool, size=count, replace=False)]
    return chosen


def simulate_run(
    ranker: Ranker,
    data: LabelledData,
    seed: int,
    prior: Sequence[int],
    use_rule_prior: bool = False,
    stopping: StoppingSpec | None = None,
) -> Run:
    """Screen in the model's order from `prior` on, retraining as labels arrive, until every
    included record is found (and, with a stopping rule, until the rule has said stop)."""
    total = len(data.labels)
    labels = data.labels
    known = {index: labels[index] for index in prior}
    weak = {i: v for i, v in data.rule_prior.items() if i not in known} if use_rule_prior else {}
    history = [labels[index] for index in prior]  # what a stopping rule reads
    left = data.included - sum(history)
    unread = np.ones(total, dtype=bool)
    unread[list(known)] = False
    rng = np.random.default_rng(seed)
    order = ranker.ranking(known, weak, seed)
    position = 0
    retrain_at = len(known) + _batch(len(known))
    screened: list[int] = []
    verdict: Verdict | None = None
    stop_recall: float | None = None
    checking = stopping is not None
    while unread.any() and (left > 0 or checking):
        source = RANKING
        if checking:
            assert stopping is not None
            current = check(stopping, history, total)
            if current.stop:
                verdict, checking = current, False
                stop_recall = (data.included - left) / data.included
                if left == 0:
                    break
            else:
                source = current.next_from
        if source == RANDOM:
            pick = int(rng.choice(np.flatnonzero(unread)))
        else:
            while not unread[order[position]]:
                position += 1
            pick = int(order[position])
        unread[pick] = False
        label = labels[pick]
        known[pick] = label
        screened.append(pick)
        history.append(label)
        left -= label
        if left > 0 and (label or len(known) >= retrain_at):
            order = ranker.ranking(known, weak, seed)
            position = 0
            retrain_at = len(known) + _batch(len(known))
    screened_labels = [labels[index] for index in screened]
    prior_included = sum(labels[index] for index in prior)
    result = metrics(screened_labels, total - len(prior), data.included - prior_included)
    prior_labels = [labels[index] for index in prior]
    return Run(
        seed, list(prior), screened, result, verdict, stop_recall, prior_labels, screened_labels
    )


def _batch(known: int) -> int:
    return max(1, int(known * RETRAIN_GROWTH))


def simulate(
    data: LabelledData,
    model: str = DEFAULT_MODEL,
    prior_included: int = 1,
    prior_excluded: int = 1,
    seed: int = 1,
    runs: int = 1,
    stopping: StoppingSpec | None = None,
    prior_rows: Sequence[int] = (),
    use_rule_prior: bool = False,
) -> Simulation:
    """`runs` replays with seeds `seed`, `seed + 1`, ...; the records are vectorised once.
    `prior_rows` (indices into the data) replace the random draw of prior records."""
    for row in prior_rows:
        if not 0 <= row < len(data.labels):
            raise SlrError(
                f"prior row {row} is not a row of {data.source} (0 to {len(data.labels) - 1})",
                "give a row number counted from 0",
            )
    ranker = Ranker.fit(data.texts, model)
    done = []
    for run_seed in range(seed, seed + runs):
        prior = list(prior_rows) or draw_prior(
            data.labels, prior_included, prior_excluded, run_seed
        )
        if sum(data.labels[i] for i in prior) >= data.included:
            raise SlrError(
                "the prior records hold every included record: nothing is left to find",
                "give fewer prior records",
            )
        done.append(simulate_run(ranker, data, run_seed, prior, use_rule_prior, stopping))
    return Simulation(len(data.labels), data.included, model, done)


# -- the recall curve -------------------------------------------------------------------------

_WIDTH, _HEIGHT, _MARGIN = 640, 420, 56
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def recall_curve_svg(simulation: Simulation, title: str) -> str:
    """Included records found against records screened, one line per run, with the line a
    random order follows on average (dashed) and each run's stop (a dot) when a rule stopped."""
    records, included = simulation.records, simulation.included
    plot_w, plot_h = _WIDTH - 2 * _MARGIN, _HEIGHT - 2 * _MARGIN

    def point(screened: float, found: float) -> str:
        x = _MARGIN + plot_w * screened / records
        y = _HEIGHT - _MARGIN - plot_h * found / included
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="white"/>',
        f'<text x="{_WIDTH / 2}" y="24" text-anchor="middle" font-size="14">'
        f"{html.escape(title)}</text>",
        f'<polyline points="{point(0, 0)} {point(0, included)} {point(records, included)}" '
        'fill="none" stroke="#bbb"/>',
        f'<polyline points="{point(0, 0)} {point(records, included)}" fill="none" '
        'stroke="#777" stroke-dasharray="6 4"/>',
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        x, y = point(fraction * records, 0).split(",")
        parts.append(
            f'<text x="{x}" y="{float(y) + 16}" text-anchor="middle">{fraction:.0%}</text>'
        )
        x, y = point(0, fraction * included).split(",")
        parts.append(
            f'<text x="{float(x) - 6}" y="{float(y) + 4}" text-anchor="end">{fraction:.0%}</text>'
        )
    for number, run in enumerate(simulation.runs):
        colour = _COLOURS[number % len(_COLOURS)]
        found = np.cumsum([*run.prior_labels, *run.screened_labels])
        steps = [point(0, 0)] + [point(i + 1, f) for i, f in enumerate(found)]
        steps.append(point(records, included))
        parts.append(
            f'<polyline points="{" ".join(steps)}" fill="none" stroke="{colour}" '
            f'stroke-width="1.5"><title>seed {run.seed}</title></polyline>'
        )
        if run.stop is not None:
            stop_found = int(found[run.stop.screened - 1]) if run.stop.screened else 0
            parts.append(
                f'<circle cx="{point(run.stop.screened, stop_found).split(",")[0]}" '
                f'cy="{point(run.stop.screened, stop_found).split(",")[1]}" r="4" '
                f'fill="{colour}"><title>seed {run.seed}: stopped</title></circle>'
            )
    x_mid, y_mid = _MARGIN + plot_w / 2, _MARGIN + plot_h / 2
    parts += [
        f'<text x="{x_mid}" y="{_HEIGHT - 12}" text-anchor="middle">records screened '
        f"(of {records:,})</text>",
        f'<text x="16" y="{y_mid}" text-anchor="middle" transform="rotate(-90 16 {y_mid})">'
        f"included records found (of {included:,})</text>",
        f'<text x="{_MARGIN + 8}" y="{_MARGIN + 4}">solid: the model\'s order, one line per '
        "run; dashed: random order</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
