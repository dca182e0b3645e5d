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

from dataclasses import dataclass

from slr.errors import SlrError
from slr.models import STAGES
from slr.protocol import Protocol
from slr.screening.status import Statuses, protocol_of, review_statuses
from slr.screening.stopping import Verdict, check
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


def screening_state(review: Review, statuses: Statuses, reviewer: str = "") -> ScreeningState:
    """The labels so far (of `reviewer` only, when given) and the records left unscreened."""
    stage = statuses.stage(STAGE)
    labels = []
    for record_id in screening_order(review.db, STAGE, reviewer):
        status = stage.get(record_id)
        if status is None:  # marked duplicate after it was screened
            continue
        humans = [h for h in status.humans if not reviewer or h.reviewer == reviewer]
        labels.append(any(h.decision in ("include", "maybe") for h in humans))
    unscreened = [
        record_id
        for record_id, status in stage.items()
        if status.status == "awaiting"
        and status.by in ("none", "rules")
        and (not reviewer or all(h.reviewer != reviewer for h in status.humans))
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
    assert isinstance(statistics, dict) and isinstance(parameters, dict)
    records = f"{stop['records']:,}"
    head = (
        f"{records} records were not screened: title/abstract screening stopped after "
        f"{statistics['screened']:,} of {statistics['total']:,} records"
    )
    if stop["forced"]:
        return f"{head}, before the stopping rule {stop['rule']} was met (forced)."
    if stop["rule"] == "statistical":
        return (
            f"{head}, when the statistical stopping criterion (Callaghan & Müller-Hansen 2020) "
            f"rejected recall below {parameters['recall']:.0%} (p = "
            f"{statistics['p_value']:.3g}): recall is at least {statistics['recall_bound']:.1%} "
            f"with {parameters['confidence']:.0%} confidence."
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
