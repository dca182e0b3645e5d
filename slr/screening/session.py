"""A reviewer's screening session: the queue of records, decisions committed at once, the screen.

The session is the library half of `slr screen`: the CLI reads keys and calls `decide`, `skip`,
`undo`, `note`; `render` returns the screen as a string (ANSI styles unless `styles` is False), so
the next record can be prepared and drawn in one call (`tests/bench/screen_bench.py` times it).
Decisions are per reviewer and blind: other reviewers' decisions are never shown.
"""

from __future__ import annotations

import csv
import io
import json
import random
import textwrap
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from slr.cells import safe_cell
from slr.errors import SlrError
from slr.fulltext.pager import Pager
from slr.models import Author, Record
from slr.normalize.text import fold
from slr.normalize.words import counted
from slr.protocol import Protocol, QuerySyntaxError
from slr.screening.engine import STAGES, QueryError
from slr.screening.highlight import Highlighter
from slr.screening.run import find
from slr.screening.status import Statuses, review_statuses
from slr.screening.stopping import (
    Verdict,
    check,
    includes_unseen,
    level_pending,
    level_to_compute,
    sequential_level,
)
from slr.screening.text import RecordText
from slr.store import Review
from slr.store import fulltext as fulltext_store
from slr.store import screening as store
from slr.store.paths import fulltext_file
from slr.store.review import years as record_years
from slr.store.tagging import all_stored_tags
from slr.store.transaction import retried, write

if TYPE_CHECKING:  # the ranking's types; the module itself is imported when a session ranks
    from slr.screening.relevance import Ranked, RelevanceOrder

ORDERS = ("relevance", "id", "random", "year", "rule")
STYLES = {
    "include": "bold green",
    "exclude": "bold red underline",
    "vocabulary": "italic cyan",
}
STAGE_LABELS = {"title_abstract": "title/abstract", "full_text": "full text"}
REASON_KEYS = "123456789abcdfghjklmnoprtvwxyz"  # the reason picker's keys, in order
KEYS_LINE = (
    "[i]nclude [e]xclude [m]aybe [n]ote [s]kip [u]ndo [c]riteria [?]help [q]uit"  # 80 columns
)
FULL_TEXT_KEYS = "[i]nclude [e]xclude [m]aybe [n]ote [s]kip [u]ndo [o]pen [c]riteria [?] [q]uit"
HELP = """Keys
  i  include this record
  e  exclude it: then pick the reason by its number (Esc or x to cancel)
  m  maybe: leave it for a second look (a resolution decides)
  n  write a note on this record (shown when conflicts are resolved)
  a  the next part of an abstract too long for the screen
  s  skip: it comes back at the end of this session
  u  undo your last decision and show that record again
  c  the protocol's eligibility criteria
  g  go to a record by its id (then Enter): decided or not, on this queue
  o  open the attached full text with the system viewer (full-text stage)
  f  read the full text here, page by page: / searches, n goes to the next highlight,
     M to Methods, i/e/m decide (full-text stage)
  ?  this help
  q  quit: every decision shown as saved is already in the database

Highlights: include terms, exclude terms, vocabulary terms (legend at the bottom).
Set NO_COLOR=1 for a screen without colours (bold, underline and italic remain)."""


DECISIONS = tuple(store.HUMAN_DECISIONS)  # include, exclude, maybe


@dataclass(frozen=True, slots=True)
class Proposed:
    """A reviewer's decision before its checks: from a key, `slr screen decide` or a CSV line."""

    record_id: int
    reviewer: str
    decision: str  # include | exclude | maybe
    reason: str = ""
    note: str | None = None  # None: keep the note written on the screen so far
    where: str = ""  # FILE:LINE of a decision read from a file


def screening_queue(statuses: Statuses, stage: str) -> list[int]:
    """The records a stage asks a person about, in id order: at title/abstract every record not
    marked duplicate that the rules did not exclude; at full text every record included at
    title/abstract whose report is not missing. Records already resolved are left out."""
    return [
        rid
        for rid, status in statuses.stage(stage).items()
        if not (status.by == "rules" and status.status == "exclude")
        and status.by not in ("resolution", "fulltext")
    ]


def reason_named(text: str, reasons: Sequence[str]) -> str | None:
    """The protocol's reason that `text` names, by its words or its picker key (None: none);
    any text when the protocol lists no reasons."""
    if not reasons or not text:
        return text
    for reason in reasons:
        if reason.casefold() == text.strip().casefold():
            return reason
    return reason_for_key(text.strip(), reasons) if len(text.strip()) == 1 else None


def _reason_list(reasons: Sequence[str]) -> str:
    return "; ".join(f"{key} {reason}" for key, reason in zip(REASON_KEYS, reasons, strict=False))


def _not_on_queue(statuses: Statuses, record_id: int, stage: str) -> str:
    """Why a record is not on a stage's queue (the record exists)."""
    label = STAGE_LABELS[stage]
    kept = statuses.duplicate_of.get(record_id)
    if kept is not None:
        return f"record {record_id} is marked duplicate of record {kept}: it is not screened"
    status = statuses.stage(stage).get(record_id)
    if status is None:
        return (
            f"record {record_id} does not reach the full-text stage "
            "(not included at title/abstract)"
        )
    if status.by == "fulltext":
        return (
            f"record {record_id}: its report is not retrieved, so it is not screened at full text"
        )
    if status.by == "resolution":
        return (
            f"record {record_id} is resolved at {label} ({status.status}): "
            "`slr screen resolve` changes it"
        )
    return (
        f"record {record_id} is excluded at {label} by the rules ({status.reason}): "
        "not on the queue"
    )


def check_decision(
    proposed: Proposed,
    stage: str,
    statuses: Statuses,
    queue: set[int],
    reasons: Sequence[str],
    change: bool,
) -> tuple[store.ReviewerDecision | None, str]:
    """The checks every human decision passes, from a key, `slr screen decide` or an imported
    line: the decision to store, or what is wrong with it."""
    rid, reviewer = proposed.record_id, proposed.reviewer
    if not reviewer or reviewer.startswith(store.AUTO):
        return None, f"{reviewer!r} cannot name a reviewer (pass a name, not auto:...)"
    if proposed.decision not in store.HUMAN_DECISIONS:
        return None, f"unknown decision {proposed.decision!r} (use include, exclude or maybe)"
    if rid not in queue:
        if rid not in statuses.duplicate_of and statuses.status_of(rid, STAGES[0]) is None:
            return None, f"no record with id {rid}"
        return None, _not_on_queue(statuses, rid, stage)
    reason = proposed.reason.strip()
    if proposed.decision != "exclude":
        if reason:
            return None, f"record {rid}: a reason goes only with exclude ({proposed.decision})"
    elif not reason:
        if stage == "full_text":
            listed = f": {_reason_list(reasons)}" if reasons else ""
            return None, f"record {rid}: a full-text exclusion needs a reason{listed}"
    else:
        named = reason_named(reason, reasons)
        if named is None:
            listed = _reason_list(reasons)
            return (
                None,
                f"record {rid}: unknown reason {reason!r}; the protocol's reasons: {listed}",
            )
        reason = named
    stored = store.HUMAN_DECISIONS[proposed.decision]
    if not change:
        status = statuses.stage(stage).get(rid)
        earlier = [h for h in (status.humans if status else []) if h.reviewer == reviewer]
        if earlier and (earlier[0].decision, earlier[0].reason) != (proposed.decision, reason):
            before = earlier[0].decision + (f" ({earlier[0].reason})" if earlier[0].reason else "")
            return (
                None,
                f"{reviewer} already decided record {rid}: {before} (pass --change to replace it)",
            )
    return store.ReviewerDecision(rid, reviewer, stored, reason, proposed.note), ""


def record_decisions(
    review: Review,
    stage: str,
    decisions: Sequence[Proposed],
    protocol: Protocol | None,
    change: bool = False,
    statuses: Statuses | None = None,
    queue: set[int] | None = None,
) -> list[tuple[str, store.ReviewerDecision]]:
    """Check reviewers' decisions and store them all in one transaction, or none: the one way a
    human decision is recorded (the screen's keys, `slr screen decide`, `slr screen import`).
    Returns each as stored (its reason as the protocol words it) with "added", "changed" or
    "unchanged"; raises SlrError naming every decision
    refused (with its FILE:LINE), nothing written. `statuses` and `queue`: the screen's own,
    so that a key press does not resolve every record again."""
    if stage not in STAGES:
        raise SlrError(f"unknown stage {stage!r} (use {' or '.join(STAGES)})")
    if statuses is None:
        statuses = review_statuses(review, protocol)
    if queue is None:
        queue = set(screening_queue(statuses, stage))
    reasons = list(protocol.exclusion_reasons) if protocol else []
    checked: list[store.ReviewerDecision] = []
    problems: list[str] = []
    seen: dict[tuple[int, str], str] = {}
    for proposed in decisions:
        decision, problem = check_decision(proposed, stage, statuses, queue, reasons, change)
        key = (proposed.record_id, proposed.reviewer)
        if not problem and key in seen:
            problem = (
                f"{proposed.reviewer} decides record {proposed.record_id} again "
                f"(first at {seen[key]})"
            )
        seen.setdefault(key, proposed.where or "an earlier line")
        if problem:
            problems.append(f"{proposed.where}: {problem}" if proposed.where else problem)
        elif decision is not None:
            checked.append(decision)
    # A full-text exclusion because the report could not be had is a report not retrieved
    # (`slr fulltext missing`): both are recorded so, and PRISMA counts them in one box.
    not_retrieved = {
        d.record_id: d.reason
        for d in checked
        if stage == STAGES[1] and d.decision == "exclude" and means_not_retrieved(d.reason)
    }
    for record_id in not_retrieved:
        attached = [row["original_name"] for row in fulltext_store.files(review.db, record_id)]
        if attached:
            problems.append(
                f"record {record_id}: a full text is attached ({', '.join(attached)}), so it "
                f"was retrieved; exclude it for another reason, or first `slr fulltext missing "
                f"{record_id} --reason ... --detach`"
            )
    if problems:
        if len(decisions) == 1:
            raise SlrError(problems[0].rstrip())
        raise SlrError(
            f"{len(problems)} of {len(decisions)} decisions refused; nothing was recorded:\n  "
            + "\n  ".join(problems),
            "correct those lines and import the file again",
        )
    # One reviewer's own decisions need not wait for other reviewers (on PostgreSQL); a
    # report marked not retrieved concerns everyone
    reviewers = {d.reviewer for d in checked}
    only = reviewers.pop() if len(reviewers) == 1 and not not_retrieved else ""

    def store_them() -> list[str]:
        with write(review.db, reviewer=only):
            outcomes = store.store_human_decisions(
                review.db, stage, checked, change, within_transaction=True
            )
            fulltext_store.mark_not_retrieved_within(review.db, not_retrieved)
        return outcomes

    # the same decisions again are "unchanged": safe to run again after a dropped connection
    outcomes = retried(review.db, store_them)
    return list(zip(outcomes, checked, strict=True))


# Full-text exclusion reasons that say the report was not retrieved (folded, see `fold`).
NOT_RETRIEVED_REASONS = frozenset(
    {"full text not available", "report not retrieved", "full text not retrieved", "not retrieved"}
)


def means_not_retrieved(reason: str) -> bool:
    return fold(reason) in NOT_RETRIEVED_REASONS


def queue_filter(
    review: Review,
    protocol: Protocol | None,
    stage: str,
    query: str = "",
    rule: str = "",
    tag: str = "",
) -> tuple[set[int] | None, str]:
    """The records `slr screen --query/--rule/--tag` keeps (None: no filter) and how to name
    them: a query in the rule language (as `slr query`), the records a protocol rule decided at
    this stage, the records `slr tag` gave a tag (vocabulary:group, or a whole vocabulary)."""
    kept: set[int] | None = None
    labels: list[str] = []

    def keep(ids: set[int], label: str) -> None:
        nonlocal kept
        kept = ids if kept is None else kept & ids
        labels.append(label)

    if query:
        try:
            hits, _ = find(review, query, protocol, stage)
        except QuerySyntaxError as error:
            raise SlrError(f"query syntax error: {error.message}\n{error.caret()}") from None
        except QueryError as error:
            caret = QuerySyntaxError(error.message, query, error.position).caret()
            raise SlrError(f"{error.message}\n{caret}") from None
        keep({hit.record.id for hit in hits}, f"query {query}")
    if rule:
        rules = [r.id for r in protocol.rules] if protocol else []
        if rule not in rules:
            raise SlrError(
                f"the protocol has no rule {rule!r}",
                f"its rules: {', '.join(rules)}" if rules else "the review has no rules",
            )
        decided = store.auto_decisions(review.db, stage)
        keep(
            {rid for rid, row in decided.items() if row["reviewer"] == store.AUTO + rule},
            f"rule {rule}",
        )
    if tag:
        vocabulary, _, group = tag.replace(":", ".").partition(".")
        groups = protocol.vocabularies.get(vocabulary) if protocol else None
        if groups is None or (group and group not in groups):
            raise SlrError(
                f"the protocol has no tag {tag!r}",
                "tags are VOCABULARY:GROUP (or a whole VOCABULARY), as `slr tag show ID` shows",
            )
        tagged = all_stored_tags(review.db)
        if not tagged:
            raise SlrError(
                "no record is tagged yet",
                "run `slr tag --stage all` first, or filter with --query 'vocab:NAME>=1'",
            )
        keep(
            {
                rid
                for rid, tags in tagged.items()
                if any(t.vocabulary == vocabulary and group in ("", t.group) for t in tags)
            },
            f"tag {tag}",
        )
    return kept, " and ".join(labels)


# The columns of `slr screen export`, and what `slr screen import` reads
CSV_COLUMNS = ("record_id", "reviewer", "decision", "reason", "note")


def _cell_text(value: str) -> str:
    """A cell as a person wrote it: the apostrophe slr's CSV writer puts before text a
    spreadsheet would run as a formula (slr.cells.safe_cell) comes off again."""
    return value[1:] if value.startswith("'") and safe_cell(value[1:]) == value else value


def read_decisions_csv(path: Path) -> list[Proposed]:
    """The decisions of a CSV file with the columns CSV_COLUMNS (note and reason may be left
    out; other columns are refused). Raises SlrError listing every line that cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SlrError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise SlrError(
            f"{path}: not UTF-8 text (byte {error.start})", "save it as UTF-8 CSV"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    required = CSV_COLUMNS[:3]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise SlrError(
            f"{path}:1: the header must name the columns {', '.join(CSV_COLUMNS)}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
            "`slr screen export` writes a file in this form",
        )
    found: list[Proposed] = []
    problems: list[str] = []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{where}: {len(row)} cells where the header has {len(header)}")
            continue
        cells = dict(zip(header, row, strict=True))
        record = cells["record_id"].strip()
        if not record.isdigit():
            problems.append(f"{where}: record_id {record!r} is not a record id")
            continue
        found.append(
            Proposed(
                int(record),
                _cell_text(cells["reviewer"].strip()),
                cells["decision"].strip().lower(),
                _cell_text(cells.get("reason", "")),
                _cell_text(cells["note"].strip()) if "note" in cells else None,
                where,
            )
        )
    if problems:
        raise SlrError(
            f"{counted(len(problems), 'line')} of {path} cannot be read; nothing was recorded:\n  "
            + "\n  ".join(problems),
            "correct those lines and import the file again",
        )
    return found


def decision_rows(review: Review, stage: str) -> list[tuple[int, str, str, str, str]]:
    """Every reviewer's decision at a stage, by record and reviewer (CSV_COLUMNS)."""
    snapshot = store.decision_snapshot(review.db)
    humans = snapshot.stages[stage].humans
    return [
        (rid, human.reviewer, human.decision, human.reason, human.note)
        for rid in sorted(humans)
        for human in humans[rid]
    ]


@dataclass(slots=True)
class Shown:
    """The record on screen."""

    id: int
    text: RecordText
    authors: list[str]
    year: int | None
    source: str
    document_type: str
    doi: str
    rules: str  # what the protocol's rules said ("" when nothing)
    fulltext: str = ""  # the attached file, or why it is missing


@dataclass(slots=True)
class Session:
    review: Review
    stage: str
    reviewer: str
    protocol: Protocol | None = None
    order: str = "id"
    seed: int = 0
    width: int = 80
    height: int = 24
    styles: bool = True  # ANSI styles at all (a terminal)
    color: bool = True  # colours too (False under NO_COLOR: bold, underline, italic remain)
    queue: list[int] = field(default_factory=list)
    done: set[int] = field(default_factory=set)
    current: int | None = None
    message: str = ""
    decided_now: int = 0
    started: float = field(default_factory=time.monotonic)
    abstract_page: int = 0  # the part of a long abstract on screen (key a)
    _page_record: int | None = None
    _index: int = 0
    _stack: list[int] = field(default_factory=list)
    _skipped: list[int] = field(default_factory=list)
    _highlighter: Highlighter | None = None
    _auto: dict[int, dict] = field(default_factory=dict)
    only: set[int] | None = None  # the records a filter keeps (--query, --rule, --tag)
    filter_label: str = ""  # what that filter is, shown in the heading
    _statuses: Statuses | None = None  # at the start of the session: the queue and its checks
    _others: tuple[float, dict[str, int]] = (0.0, {})  # other reviewers' progress, when read
    _queued: set[int] = field(default_factory=set)
    # --order relevance (slr/screening/relevance.py): the model's order, the record's rank and
    # score, this reviewer's decisions in order (what the stopping rule reads), its verdict
    _relevance: RelevanceOrder | None = None
    ranked: Ranked | None = None
    _sequence: dict[int, bool] = field(default_factory=dict)
    _rules_final: set[int] = field(default_factory=set)
    verdict: Verdict | None = None
    _level_thread: threading.Thread | None = None  # the statistical rule's level, computed aside

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise SlrError(f"unknown stage {self.stage!r} (use {' or '.join(STAGES)})")
        if not self.reviewer or self.reviewer.startswith(store.AUTO):
            raise SlrError(
                f"{self.reviewer!r} cannot name a reviewer", "pass --reviewer NAME (not auto:...)"
            )
        if not self.order:  # the default: relevance at title/abstract, id order at full text
            self.order = "relevance" if self.stage == STAGES[0] else "id"
        if self.order not in ORDERS:
            raise SlrError(f"unknown order {self.order!r} (use {', '.join(ORDERS)})")
        db = self.review.db
        self._highlighter = Highlighter.of(self.protocol)
        self._auto = store.auto_decisions(db, self.stage)
        self.queue = self._build_queue()
        self._queued = set(self.queue)
        self.done = store.decided_by(db, self.stage, self.reviewer) & self._queued
        self._check_stopping()
        self.advance()

    # -- the queue ------------------------------------------------------------------------------

    def _build_queue(self) -> list[int]:
        """The records this stage asks a person about, in the chosen order: at title/abstract
        every record not marked duplicate that the rules did not exclude; at full text every
        record finally included at title/abstract whose report is not missing. Records already
        resolved are left out."""
        self._statuses = review_statuses(self.review, self.protocol)
        ids = screening_queue(self._statuses, self.stage)
        if self.only is not None:
            ids = [rid for rid in ids if rid in self.only]
        if self.order == "random":
            random.Random(self.seed).shuffle(ids)
        elif self.order == "year":
            years = record_years(self.review.db)
            ids.sort(key=lambda rid: (-(years.get(rid) or 0), rid))
        elif self.order == "rule":
            rank = {"include": 0, "flag": 1, None: 2, "exclude": 3}
            ids.sort(key=lambda rid: (rank[self._auto.get(rid, {}).get("decision")], rid))
        elif self.order == "relevance":
            self._start_relevance(ids)
        return ids

    def _start_relevance(self, queue: list[int]) -> None:
        """The ranking of this reviewer's queue, trained on this reviewer's decisions only, the
        rules' includes and excludes as prior knowledge; it retrains in a background thread."""
        if self.stage != STAGES[0]:
            raise SlrError(
                "--order relevance ranks title/abstract screening", "use --order id at full text"
            )
        assert self._statuses is not None
        statuses = self._statuses.stage(self.stage)
        ids = list(statuses)  # every record not marked duplicate, in id order
        prior = {
            rid: auto["decision"] == "include"
            for rid, auto in self._auto.items()
            if auto["decision"] in ("include", "exclude") and rid in statuses
        }
        location = self.review.location
        # scikit-learn takes a second to import: only a ranked session pays for it, not every
        # `slr screen decide` of a script
        from slr.screening.ranking import text_of
        from slr.screening.relevance import RelevanceOrder, own_labels

        def texts() -> list[str]:  # in the ranking thread: its own connection
            with Review.open(location) as own:
                records = dict(store.load_text_records(own.db))
            return [text_of(records[rid]) if rid in records else "" for rid in ids]

        self._relevance = RelevanceOrder(ids, texts, prior, self.seed, candidates=queue)
        on_queue = set(queue)
        own: dict[int, str] = {}
        for rid in store.screening_order(self.review.db, self.stage, self.reviewer):
            status = statuses.get(rid)
            mine = [h for h in (status.humans if status else []) if h.reviewer == self.reviewer]
            if mine and rid in on_queue:
                own[rid] = mine[0].decision
        self._sequence = own_labels(own.items())
        self._rules_final = {rid for rid in queue if rid in prior}
        self._relevance.update(self._sequence, self._model_for_phase())

    def _check_stopping(self) -> None:
        """The protocol's stopping rule on this reviewer's decisions, in order."""
        spec = self.protocol.stopping if self.protocol else None
        if spec is None or self._relevance is None:
            self.verdict = None
            return
        labels = list(self._sequence.values())
        undecided = (
            len(self._queued)
            - len(self._rules_final)
            - sum(1 for rid in self._sequence if rid not in self._rules_final)
        )
        total = len(labels) + max(undecided, 0)
        aside = level_to_compute(spec, labels, total)
        if aside is not None:  # seconds in a large review: not while the reviewer waits
            if self._level_thread is None or not self._level_thread.is_alive():
                self._level_thread = threading.Thread(
                    target=sequential_level, args=aside, name="slr-stopping-level", daemon=True
                )
                self._level_thread.start()
            self.verdict = level_pending(labels, total)
            return
        self.verdict = check(spec, labels, total)

    def _model_for_phase(self) -> str | None:
        """SAFE's third phase: another model ranks."""
        self._check_stopping()
        if self.verdict is not None and self.verdict.phase.startswith("3"):
            from slr.screening.relevance import SECOND_MODEL  # (imported with the ranking)

            return SECOND_MODEL
        return None

    def advance(self) -> None:
        """Move to the next record this reviewer has not decided; None when all are done."""
        self.ranked = None
        while self._stack:
            rid = self._stack.pop()
            if rid not in self.done:
                self.current = rid
                return
        if self._relevance is not None:
            source = self.verdict.next_from if self.verdict else "ranking"
            skip = self.done | set(self._skipped)
            self.ranked = self._relevance.next(skip, source)
            if self.ranked is not None:
                self.current = self.ranked.record_id
                return
        while self._index < len(self.queue):
            rid = self.queue[self._index]
            self._index += 1
            if rid not in self.done and rid not in self._skipped:
                self.current = rid
                return
        while self._skipped:
            rid = self._skipped.pop(0)
            if rid not in self.done:
                self.current = rid
                return
        self.current = None

    # -- actions: each commits before it returns ------------------------------------------------

    def decide(self, decision: str, reason: str = "") -> int:
        """include | exclude | maybe for the record on screen; committed before this returns."""
        rid = self._require()
        assert self._statuses is not None
        proposed = Proposed(rid, self.reviewer, decision, reason)
        record_decisions(
            self.review,
            self.stage,
            [proposed],
            self.protocol,
            change=True,  # on screen: a record you decided is shown as such (g), keys change it
            statuses=self._statuses,
            queue=self._queued,
        )
        self.done.add(rid)
        self.decided_now += 1
        if self._relevance is not None:
            self._sequence.pop(rid, None)  # a changed decision moves to the end
            self._sequence[rid] = decision in ("include", "maybe")
            self._relevance.update(self._sequence, self._model_for_phase())
        self.message = f"Saved: {decision} record {rid}" + (f" ({reason})" if reason else "")
        self.advance()
        return rid

    def goto(self, record_id: int) -> bool:
        """Show a record of this queue (`g` + its id), decided or not; False, with the message
        saying why, when it is not on the queue."""
        if record_id not in self._queued:
            assert self._statuses is not None
            exists = self._statuses.status_of(record_id, STAGES[0]) is not None
            if not exists:
                self.message = f"No record with id {record_id}"
            elif self.only is not None and record_id in screening_queue(self._statuses, self.stage):
                self.message = f"Record {record_id} is not among the records of {self.filter_label}"
            else:
                why = _not_on_queue(self._statuses, record_id, self.stage)
                self.message = why[0].upper() + why[1:]
            return False
        if self.current is not None and self.current != record_id:
            self._stack.append(self.current)
        self.current = record_id
        decided = record_id in self.done
        self.message = f"Record {record_id}" + (
            ": you decided it already; a key changes your decision" if decided else ""
        )
        return True

    def more_abstract(self) -> None:
        """Show the next part of an abstract too long for the screen."""
        if self._page_record != self.current:
            self._page_record, self.abstract_page = self.current, 0
        self.abstract_page += 1

    def skip(self) -> None:
        rid = self._require()
        self._skipped.append(rid)
        self.message = f"Skipped record {rid}: it comes back at the end"
        self.advance()

    def undo(self) -> int | None:
        # a full-text undo may take a not-retrieved mark back, which concerns every reviewer
        lock = "" if self.stage == STAGES[1] else self.reviewer
        with write(self.review.db, reviewer=lock):
            undone = store.undo_human_decision(
                self.review.db, self.stage, self.reviewer, within_transaction=True
            )
            # "Full text not available" also marked the report not retrieved: undone together
            released = (
                undone is not None
                and self.stage == STAGES[1]
                and undone.decision == "exclude"
                and means_not_retrieved(undone.reason)
                and fulltext_store.release_not_retrieved_within(
                    self.review.db, undone.record_id, means_not_retrieved
                )
            )
        if undone is None:
            self.message = "Nothing to undo"
            return None
        rid = undone.record_id
        if released:  # the record is back on this stage's queue, awaiting a decision
            self._statuses = review_statuses(self.review, self.protocol)
            self._queued.add(rid)
        if rid in self.done:
            self.done.discard(rid)
            self.decided_now = max(0, self.decided_now - 1)
        if self._relevance is not None and self._sequence.pop(rid, None) is not None:
            self._relevance.update(self._sequence, self._model_for_phase())
        if self.current is not None:
            self._stack.append(self.current)
        self.current = rid
        self.message = f"Undone: your decision on record {rid} is removed"
        return rid

    def note(self, text: str) -> None:
        rid = self._require()
        store.save_note(self.review.db, rid, self.stage, self.reviewer, text.strip())
        self.message = f"Note saved on record {rid}" if text.strip() else "Note removed"

    def _your_decision(self, record_id: int) -> str:
        mine = store.reviewer_decision(self.review.db, record_id, self.stage, self.reviewer)
        if mine is None:
            return "none"
        label = "maybe" if mine[0] == "flag" else mine[0]
        return label + (f" ({mine[1]})" if mine[1] else "")

    def current_note(self) -> str:
        if self.current is None:
            return ""
        return store.note_of(self.review.db, self.current, self.stage, self.reviewer)

    def fulltext_pager(self) -> Pager | None:
        """The full text of the record on screen in a pager (full-text stage), or None when
        it has no stored text."""
        if self.current is None or self.stage != STAGES[1]:
            return None
        pages = fulltext_store.pages(self.review.db, self.current)
        if not any(text.strip() for _, _, text in pages):
            return None
        assert self._highlighter is not None
        return Pager(
            self.current, pages, self._highlighter, STYLES, self._console, self.width, self.height
        )

    def fulltext_path(self) -> str:
        if self.current is None:
            return ""
        attached = fulltext_store.files(self.review.db, self.current)
        if not attached:
            return ""
        fulltext_file(self.review.path, self.current, attached[0]["path"])  # refuses one out
        return str(self.review.local_file(attached[0]["path"]))

    def _require(self) -> int:
        if self.current is None:
            raise SlrError("no record on screen: every record of this stage is screened")
        return self.current

    @property
    def reasons(self) -> list[str]:
        return list(self.protocol.exclusion_reasons) if self.protocol else []

    # -- progress -------------------------------------------------------------------------------

    def progress_line(self) -> str:
        done = len(self.done)
        remaining = len(self.queue) - done
        minutes = max(time.monotonic() - self.started, 1e-9) / 60
        pace = self.decided_now / minutes if self.decided_now else 0.0
        total = len(self.queue)
        percent = f"{100 * done / total:.0f}%" if total else "-"
        return (
            f"Done {done} of {total} ({percent}) · left {remaining} · this session "
            f"{self.decided_now} ({pace:.1f}/min)"
        )

    def reviewers_line(self) -> str:
        """Every reviewer's progress on this queue ("" while you are the only one): read again
        every few seconds, since other reviewers screen in other terminals."""
        read_at, others = self._others
        if time.monotonic() - read_at > 5:
            decided = store.decided_by_reviewer(self.review.db, self.stage)
            others = {
                name: len(ids & self._queued)
                for name, ids in decided.items()
                if name != self.reviewer
            }
            self._others = (time.monotonic(), others)
        others = {name: count for name, count in others.items() if count}
        if not others:
            return ""
        total = len(self.queue) or 1
        counts = {self.reviewer: len(self.done), **others}
        return "Reviewers: " + " · ".join(
            f"{name} {count}/{total} ({100 * count / total:.0f}%)"
            for name, count in sorted(counts.items())
        )

    def ranking_lines(self) -> list[str]:
        """--order relevance: decided/total, includes found, the estimate of includes unseen,
        the stopping rule's status; and, when the rule is met, its figures and what to do."""
        if self._relevance is None:
            return []
        labels = list(self._sequence.values())
        verdict = self.verdict
        total = verdict.total if verdict else len(self.queue)
        unseen = max(total - len(labels), 0)
        line = (
            f"Decided {len(labels):,}/{total:,} · includes found {sum(labels):,} · "
            f"includes unseen ~{includes_unseen(labels, unseen):.0f} (est.)"
        )
        if self._relevance.failure:
            line += f" · {self._relevance.failure}"
        if verdict is None:
            return [line + " · no stopping rule"]
        if not verdict.stop:
            phase = verdict.phase
            if "stops_at_sample" in verdict.figures:  # the statistical rule's random sample
                phase += (
                    f", {verdict.figures['sample']:,} drawn; stops at "
                    f"{verdict.figures['stops_at_sample']:,} unless a relevant one turns up"
                )
            return [f"{line} · stopping: not met ({phase})"]
        figures = verdict.figures
        shown = (
            f"p = {figures['p_value']:.3g}, recall ≥ {figures['recall_bound']:.1%} with "
            f"{figures['confidence']:.0%} confidence"
            if "p_value" in figures
            else verdict.phase
        )
        return [
            f"{line} · stopping: MET",
            f"Stopping rule {verdict.rule} met ({shown}): `slr screen stop` ends screening",
        ]

    # -- the screen -----------------------------------------------------------------------------

    def load(self, record_id: int) -> Shown:
        row = store.screen_row(self.review.db, record_id)
        record = Record(
            title=row[0],
            abstract=row[1],
            year=row[3],
            document_type=row[5],
            author_keywords=json.loads(row[7]),
            index_keywords=json.loads(row[8]),
            language=row[9],
        )
        authors = [Author.from_dict(a).display for a in json.loads(row[2])]
        auto = self._auto.get(record_id)
        rules = f"{auto['decision']}: {auto['reason']}" if auto else ""
        shown = Shown(
            record_id,
            RecordText.of(record_id, record),
            authors,
            row[3],
            row[4],
            row[5],
            row[6],
            rules,
        )
        if self.stage == "full_text":
            attached = fulltext_store.files(self.review.db, record_id)
            shown.fulltext = ", ".join(row["path"] for row in attached) or "not attached"
            if fulltext_store.pages(self.review.db, record_id):
                shown.fulltext += " · f reads it here"
        return shown

    def _highlighted(self, shown: Shown, name: str) -> Text:
        text = Text(shown.text.original(name))
        assert self._highlighter is not None
        for kind, span in self._highlighter.spans(shown.text, name):
            text.stylize(STYLES[kind], span.start, span.end)
        return text

    def _console(self) -> Console:
        return Console(
            file=io.StringIO(),
            width=self.width,
            height=self.height,
            force_terminal=self.styles,
            no_color=not self.color,
            color_system="standard" if self.styles else None,
            legacy_windows=False,
            emoji=False,
            highlight=False,
        )

    def render(self, overlay: str = "") -> str:
        """The whole screen for the record on screen (or an overlay: help, criteria, reasons)."""
        console = self._console()
        width = self.width
        label = STAGE_LABELS[self.stage]
        head = Text(f"slr screen · {label} · {self.reviewer}", style="reverse")
        lines: list[Text] = []
        footer: list[Text] = []
        if overlay:
            lines = [Text(line) for line in _wrap_overlay(overlay, width)]
        elif self.current is None:
            lines = [
                Text(f"Every record of the {label} stage is screened by {self.reviewer}."),
                Text("Press q to quit; `slr screen conflicts` lists disagreements."),
            ]
        else:
            shown = self.load(self.current)
            head.append(f" · record {shown.id}")
            if self.filter_label:
                head.append(f" · {self.filter_label}")
            if self.ranked is not None and self.ranked.record_id == shown.id:
                score = "" if self.ranked.score is None else f" · score {self.ranked.score:.2f}"
                head.append(f" · rank {self.ranked.rank:,}{score} ({self.ranked.source})")
            lines.extend(_wrap(console, self._highlighted(shown, "title"), width, 3, "bold"))
            authors = "; ".join(shown.authors) or "(no authors)"
            lines.extend(_wrap(console, Text(authors), width, 1))
            meta = " · ".join(
                str(part)
                for part in (shown.year or "no year", shown.source, shown.document_type, shown.doi)
                if part
            )
            lines.extend(_wrap(console, Text(meta, style="dim"), width, 1))
            if shown.text.keywords:
                keywords = Text("Keywords: ").append_text(self._highlighted(shown, "keywords"))
                lines.extend(_wrap(console, keywords, width, 2))
            if shown.rules:
                lines.extend(_wrap(console, Text(f"Rules: {shown.rules}", style="dim"), width, 1))
            if shown.fulltext:
                lines.extend(_wrap(console, Text(f"Full text: {shown.fulltext}"), width, 1))
            if shown.id in self.done:
                lines.append(Text(f"Your decision: {self._your_decision(shown.id)}", style="bold"))
            note = self.current_note()
            if note:
                lines.extend(_wrap(console, Text(f"Your note: {note}"), width, 1))
            lines.append(Text("─" * min(width, 80), style="dim"))
            abstract = self._highlighted(shown, "abstract") if shown.text.abstract else None
            room = self.height - 1 - len(lines) - 5
            if abstract is None:
                lines.append(Text("(no abstract)", style="dim"))
            else:
                wrapped = _wrap(console, abstract, width, None)
                if len(wrapped) > room:
                    if self._page_record != self.current:
                        self._page_record, self.abstract_page = self.current, 0
                    size = max(room - 1, 1)
                    pages = -(-len(wrapped) // size)
                    page = self.abstract_page % pages
                    wrapped = wrapped[page * size : (page + 1) * size]
                    wrapped.append(
                        Text(f"… abstract part {page + 1} of {pages}: a shows the next", "dim")
                    )
                lines.extend(wrapped)
        legend = Text("Highlights: ")
        for kind in ("include", "exclude", "vocabulary"):
            legend.append(f"{kind} term", style=STYLES[kind]).append("  ")
        footer.append(legend)
        footer.append(Text(self.progress_line()))
        reviewers = self.reviewers_line()
        if reviewers:
            footer.extend(_wrap(console, Text(reviewers), width, 1))
        for ranking in self.ranking_lines():  # wrapped, not cut: the stopping rule's is last
            footer.extend(_wrap(console, Text(ranking), width, 2))
        keys = KEYS_LINE if self.stage == "title_abstract" else FULL_TEXT_KEYS
        footer.extend(_wrap(console, Text(keys), width, 1))
        # a message is wrapped, not cut: it may name a file's path to open by hand
        footer.extend(_wrap(console, Text(self.message, style="bold"), width, 3))
        body_room = self.height - 1 - len(footer)
        if overlay and len(lines) > body_room > 1:  # say so rather than cut it silently
            hidden = len(lines) - body_room + 1
            lines = [*lines[: body_room - 1], Text(f"… {hidden} more lines below", style="dim")]
        everything = [head, *lines[: max(body_room, 0)]]
        everything.extend(Text("") for _ in range(body_room - len(lines)))
        everything.extend(footer)
        for line in everything:
            console.print(line, overflow="crop", no_wrap=True, crop=True)
        output = console.file.getvalue()  # type: ignore[attr-defined]
        return output.rstrip("\n")

    def reasons_overlay(self, required: bool) -> str:
        lines = ["Exclude: pick the reason by its key", ""]
        for key, reason in zip(REASON_KEYS, self.reasons, strict=False):
            lines.append(f"  {key}  {reason}")
        lines.append("")
        if not required:
            lines.append("  0  no reason")
        lines.append("  x  cancel (Esc too)")
        return "\n".join(lines)

    def criteria_overlay(self) -> str:
        protocol = self.protocol
        if protocol is None:
            return "This review has no protocol: no criteria to show."
        data = protocol.data.get("eligibility", {})
        lines = ["Eligibility criteria", ""]
        if protocol.years:
            lines.append(f"Years: {protocol.years[0]}..{protocol.years[1]}")
        if protocol.languages:
            lines.append(f"Languages: {', '.join(protocol.languages)}")
        if protocol.document_types:
            lines.append(f"Document types: {', '.join(protocol.document_types)}")
        for heading, key in (("Include", "include"), ("Exclude", "exclude")):
            items = data.get(key, [])
            if items:
                lines.append(f"{heading}:")
                lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


def _wrap_overlay(overlay: str, width: int) -> list[str]:
    """An overlay's lines wrapped at word boundaries to the screen's width (never cut), a list
    item's continuation indented under its text."""
    lines: list[str] = []
    for line in overlay.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        hanging = indent + ("  " if stripped.startswith(("- ", "* ")) else "")
        wrapped = textwrap.wrap(line, width - 1, subsequent_indent=hanging, break_on_hyphens=False)
        lines.extend(wrapped or [""])
    return lines


def _wrap(
    console: Console, text: Text, width: int, limit: int | None, style: str = ""
) -> list[Text]:
    if style:
        text.stylize(style)
    wrapped = list(text.wrap(console, width))
    if limit is not None and len(wrapped) > limit:
        wrapped = wrapped[:limit]
        last = wrapped[-1]
        if len(last) >= width:
            last.right_crop(1)
        last.append("…")
    return wrapped


def reason_for_key(key: str, reasons: Sequence[str]) -> str | None:
    index = REASON_KEYS.find(key)
    if index < 0 or index >= len(reasons):
        return None
    return reasons[index]
