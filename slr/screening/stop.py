"""`slr screen stop`: check the protocol's stopping rule on the review's decisions, and exclude
the records nobody screened when it is met (or undo that exactly).

The rule reads the records people decided at title/abstract, in the order of their first
decision, as relevant (someone said include or maybe) or not, out of the records a person could
still screen: those decided plus those nobody decided (the rules' own includes and excludes are
not part of the screening the rule measures). The records a stop excludes are those nobody
decided and no rule included or excluded; the status resolver (slr/screening/status.py) gives
them the status exclude, "not screened: stopping rule met".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from html import escape

from slr.errors import SlrError
from slr.models import STAGES
from slr.normalize.words import counted
from slr.protocol import Protocol
from slr.screening.status import FINAL, Statuses, protocol_of, review_statuses
from slr.screening.stopping import Verdict, check, includes_unseen
from slr.store import Review
from slr.store.screening import record_stop, screening_order, stop_of, undo_stop

STAGE = STAGES[0]  # stopping rules measure title/abstract screening


@dataclass(frozen=True, slots=True)
class ScreeningState:
    """What the stopping rule reads: the labels in screening order and who is left."""

    labels: list[bool]
    unscreened: list[int]  # records nobody decided and no rule decided: what a stop excludes

    @property
    def total(self) -> int:
        return len(self.labels) + len(self.unscreened)


def screening_state(
    review: Review, statuses: Statuses, reviewer: str = "", stage_name: str = STAGE
) -> ScreeningState:
    """The labels so far (of `reviewer` only, when given) and the records left unscreened."""
    stage = statuses.stage(stage_name)
    labels = []
    for record_id in screening_order(review.db, stage_name, reviewer):
        status = stage.get(record_id)
        if status is None:  # marked duplicate after it was screened
            continue
        humans = [h for h in status.humans if not reviewer or h.reviewer == reviewer]
        labels.append(any(h.decision in ("include", "maybe") for h in humans))
    if reviewer:  # what this reviewer has not decided, whoever else did
        unscreened = [
            record_id
            for record_id, status in stage.items()
            if all(h.reviewer != reviewer for h in status.humans)
            and not (status.by == "rules" and status.status in FINAL)
            and status.by not in ("resolution", "fulltext", "stopping")
        ]
    else:
        unscreened = [
            record_id
            for record_id, status in stage.items()
            if status.status == "awaiting" and status.by in ("none", "rules")
        ]
    return ScreeningState(labels, unscreened)


def stopping_rule(protocol: Protocol | None) -> Protocol:
    if protocol is None or protocol.stopping is None:
        raise SlrError(
            "the protocol sets no stopping rule",
            'add [screening.stopping] with rule = "statistical", "safe" or '
            '"irrelevant_in_a_row" to the protocol (see protocols/README.md)',
        )
    return protocol


def verdict_now(review: Review, reviewer: str = "") -> Verdict:
    """The protocol's stopping rule on the review's title/abstract decisions now."""
    protocol = stopping_rule(protocol_of(review)[0])
    assert protocol.stopping is not None
    state = screening_state(review, review_statuses(review, protocol), reviewer)
    return check(protocol.stopping, state.labels, state.total)


@dataclass(frozen=True, slots=True)
class Stopped:
    verdict: Verdict
    excluded: int
    forced: bool


def stop_screening(review: Review, force: bool = False) -> Stopped:
    """Exclude the records nobody screened when the rule is met (or `force`d), storing the
    rule, its parameters and its figures; refused, with the figures, when it is not met."""
    protocol = stopping_rule(protocol_of(review)[0])
    assert protocol.stopping is not None
    if stop_of(review.db, STAGE) is not None:
        raise SlrError(
            f"{STAGE} screening is already stopped", "undo it first with `slr screen stop --undo`"
        )
    state = screening_state(review, review_statuses(review, protocol))
    verdict = check(protocol.stopping, state.labels, state.total)
    if not verdict.stop and not force:
        raise SlrError(
            f"the stopping rule is not met: {verdict.summary()}",
            "screen on (`slr screen`), or stop anyway with `slr screen stop --force` "
            "(recorded as forced)",
        )
    if not state.unscreened:
        raise SlrError(f"every record at {STAGE} has been screened", "there is nothing to stop")
    statistics = {
        "screened": verdict.screened,
        "total": verdict.total,
        "relevant_found": verdict.found,
        "met": verdict.stop,
        "phase": verdict.phase,
        **verdict.figures,
    }
    record_stop(
        review.db,
        STAGE,
        protocol.stopping.rule,
        dict(protocol.stopping.parameters),
        statistics,
        force and not verdict.stop,
        state.unscreened,
    )
    return Stopped(verdict, len(state.unscreened), force and not verdict.stop)


def undo_stopping(review: Review) -> int:
    """Put the records a stop excluded back to unscreened; returns how many."""
    stop = undo_stop(review.db, STAGE)
    return int(stop["records"])


def stop_note(stop: dict[str, object]) -> str:
    """The PRISMA diagram's note on a stop: the rule, and the recall it guarantees."""
    statistics = stop["statistics"]
    parameters = stop["parameters"]
    records = stop["records"]
    assert isinstance(statistics, dict) and isinstance(parameters, dict)
    assert isinstance(records, int)
    verb = "was" if records == 1 else "were"
    head = (
        f"{counted(records, 'record', grouped=True)} {verb} not screened: title/abstract "
        f"screening stopped after {statistics['screened']:,} of "
        f"{counted(statistics['total'], 'record', grouped=True)}"
    )
    if stop["forced"]:
        return f"{head}, before the stopping rule {stop['rule']} was met (forced)."
    if stop["rule"] == "statistical":
        return (
            f"{head}, when the statistical stopping criterion (Callaghan & Müller-Hansen 2020) "
            f"rejected recall below {parameters['recall']:.0%} (p = "
            f"{statistics['p_value']:.3g}{_below_level(statistics)}): recall is at least "
            f"{statistics['recall_bound']:.1%} with {parameters['confidence']:.0%} confidence."
        )
    if stop["rule"] == "safe":
        return (
            f"{head}, when the SAFE procedure (Boetje & van de Schoot 2024) was met "
            f"({parameters['irrelevant_in_a_row']} irrelevant records in a row with a second "
            "model); a heuristic: it guarantees no recall."
        )
    return (
        f"{head}, after {parameters['n']} irrelevant records in a row; a heuristic: it "
        "guarantees no recall."
    )


def _below_level(statistics: dict[str, object]) -> str:
    """The level the test was run at, when the stop recorded it (stops before it was set by
    `sequential_level` did not)."""
    level = statistics.get("level")
    if not isinstance(level, float):
        return ""
    return f" < {level:.3g}, its level for a test after every record"


# -- `slr screen progress` -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Progress:
    """Where screening stands: the figures the screen shows, and the labels for the curve."""

    stage: str
    reviewer: str  # "" for every reviewer
    labels: list[bool]
    total: int
    verdict: Verdict | None

    @property
    def found(self) -> int:
        return sum(self.labels)

    @property
    def unseen_estimate(self) -> float:
        return includes_unseen(self.labels, self.total - len(self.labels))

    def lines(self) -> list[str]:
        who = f"reviewer {self.reviewer}" if self.reviewer else "every reviewer"
        lines = [
            f"{self.stage} ({who}): decided {len(self.labels):,} of {self.total:,} · includes "
            f"found {self.found:,} · includes unseen ~{self.unseen_estimate:.0f} (estimated from "
            "the last 50 decisions)"
        ]
        if self.verdict is not None:
            lines.append(self.verdict.summary())
            if self.verdict.stop:
                lines.append("The stopping rule is met: `slr screen stop` ends screening.")
        return lines

    def to_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "reviewer": self.reviewer,
            "decided": len(self.labels),
            "total": self.total,
            "includes_found": self.found,
            "includes_unseen_estimate": round(self.unseen_estimate, 1),
            "stopping": None if self.verdict is None else self.verdict.to_dict(),
            "curve": list(itertools.accumulate(int(label) for label in self.labels)),
        }


def screening_progress(review: Review, stage: str = STAGE, reviewer: str = "") -> Progress:
    """The figures of `slr screen progress`: the stopping rule's only at title/abstract."""
    protocol = protocol_of(review)[0]
    state = screening_state(review, review_statuses(review, protocol), reviewer, stage)
    spec = protocol.stopping if protocol is not None and stage == STAGE else None
    verdict = None if spec is None else check(spec, state.labels, state.total)
    return Progress(stage, reviewer, state.labels, state.total, verdict)


def recall_curve(progress: Progress, title: str) -> str:
    """Includes found against records screened, with the line a random order would follow
    (the includes found so far spread evenly over every record): a standalone SVG."""
    width, height, left, bottom, top, right = 640, 400, 60, 50, 40, 20
    total = max(progress.total, 1)
    most = max(progress.found, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def point(x: float, y: float) -> str:
        return f"{left + x / total * plot_w:.1f},{top + plot_h - y / most * plot_h:.1f}"

    found = list(itertools.accumulate(int(label) for label in progress.labels))
    points = " ".join(point(x, y) for x, y in enumerate([0, *found]))
    random_line = f"{point(0, 0)} {point(total, progress.found)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="24" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#000"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#000"/>',
        f'<polyline points="{random_line}" fill="none" stroke="#999" stroke-dasharray="4 3"/>',
        f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="2"/>',
        f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">records screened '
        f"({len(progress.labels):,} of {progress.total:,})</text>",
        f'<text x="16" y="{top + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + plot_h / 2})">includes found ({progress.found:,})</text>',
        f'<text x="{left + plot_w - 4}" y="{top + plot_h - 6}" text-anchor="end" fill="#666">'
        "dashed: a random order</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def recall_curve_html(progress: Progress, title: str) -> str:
    lines = "".join(f"<p>{escape(line)}</p>\n" for line in progress.lines())
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n{lines}"
        f"{recall_curve(progress, title)}</body>\n</html>\n"
    )
