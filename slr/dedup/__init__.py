"""Deduplication: exact identifiers, blocked fuzzy candidates, named hard-negative rules, clusters.

Nothing is deleted: a duplicate keeps its row, points at its cluster's kept record, and the kept
record gains the fields it lacks in dedup_merged_fields.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from slr.cells import safe_csv_writer
from slr.dedup.keys import Features, features
from slr.dedup.match import (
    DISTINCT,
    DUPLICATE,
    UNCERTAIN,
    Pair,
    Result,
    Settings,
    compare,
    find_duplicates,
)
from slr.normalize.words import counted
from slr.store import Review
from slr.store import dedup as store
from slr.store.transaction import write

Progress = Callable[[str], None]


@dataclass(slots=True)
class Summary:
    records: int
    candidates: int
    clusters: int
    duplicates: int
    uncertain: int
    kept_apart: int
    seconds: float


def deduplicate(
    review: Review, settings: Settings | None = None, progress: Progress = lambda _m: None
) -> Summary:
    """Find and mark the duplicates of every record in the review, replacing earlier results.

    Reviewer decisions from `slr dedup review` are kept and respected.
    """
    settings = settings or Settings()
    started = time.perf_counter()
    progress("Reading records")
    items = [features(rid, record) for rid, record in store.load_for_matching(review.db)]
    decided = store.decisions(review.db)
    progress(f"Comparing {counted(len(items), 'record', grouped=True)}")
    result = find_duplicates(items, settings, decided)
    progress("Storing clusters")
    with write(review.db):
        store.clear(review.db)
        run_id = store.add_run(review.db, asdict(settings), len(items), result.candidates)
        store.add_pairs(
            review.db, run_id, [(p.a, p.b, p.outcome, p.rule, p.score) for p in result.pairs]
        )
        for cluster in result.clusters:
            store.add_cluster(
                review.db,
                run_id,
                store.ClusterRows(
                    cluster.kept,
                    [
                        (m, cluster.rule[m], cluster.score[m])
                        for m in cluster.members
                        if m != cluster.kept
                    ],
                ),
            )
        seconds = round(time.perf_counter() - started, 2)
        store.set_run_seconds(review.db, run_id, seconds)
    return Summary(
        records=len(items),
        candidates=result.candidates,
        clusters=len(result.clusters),
        duplicates=sum(len(c.members) - 1 for c in result.clusters),
        uncertain=sum(1 for p in result.pairs if p.outcome == UNCERTAIN),
        kept_apart=sum(1 for p in result.pairs if p.outcome == DISTINCT),
        seconds=seconds,
    )


def undo(review: Review, cluster_id: int | None = None) -> int:
    """Dissolve one cluster, or (None) every dedup result and decision; returns records freed."""
    with write(review.db):
        if cluster_id is not None:
            return store.undo_cluster(review.db, cluster_id)
        freed = store.member_count(review.db)
        store.clear(review.db, keep_decisions=False)
        return freed


def report_csv(review: Review) -> str:
    """The report of `slr dedup --report` and `slr run`'s dedup.csv: one row per record, its
    source file, cluster, role, rule and score (file names are people's text: cells escaped)."""
    out = io.StringIO()
    writer = safe_csv_writer(out)
    writer.writerow(store.REPORT_COLUMNS)
    for row in store.report_rows(review.db):
        writer.writerow(row.get(column, "") for column in store.REPORT_COLUMNS)
    return out.getvalue()


__all__ = [
    "DISTINCT",
    "DUPLICATE",
    "UNCERTAIN",
    "Features",
    "Pair",
    "Result",
    "Settings",
    "Summary",
    "compare",
    "deduplicate",
    "features",
    "find_duplicates",
    "report_csv",
    "undo",
]
