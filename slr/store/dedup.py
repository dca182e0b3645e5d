"""The store side of deduplication: read what the matcher needs, write and undo its results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from slr.errors import SlrError
from slr.models import Author, Record
from slr.store.connection import Connection, Row, inserted_id, one_by_one

# Fields a kept record may gain from its duplicates when it lacks them.
MERGE_FIELDS = (
    "doi",
    "pmid",
    "year",
    "source_title",
    "volume",
    "issue",
    "pages",
    "abstract",
    "issn",
    "isbn",
    "language",
    "url",
    "publisher",
    "authors",
    "author_keywords",
)
_EMPTY = ("", "[]", "{}", None)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_for_matching(db: Connection) -> Iterator[tuple[int, Record]]:
    """Every record with the fields the matcher reads (raw only for the entry type)."""
    rows = db.execute(
        "SELECT id, title, authors, year, source_title, volume, issue, pages, doi, pmid, abstract,"
        f" language, document_type, ids, {db.json_text('raw', 'ENTRYTYPE')} AS entry,"
        f" {db.json_text('raw', 'booktitle')} AS booktitle,"
        f" {db.json_text('raw', 'ref-type@name')} AS ref_type FROM records ORDER BY id"
    )
    for row in rows:
        raw: dict[str, Any] = {}
        if row[14]:
            raw["ENTRYTYPE"] = row[14]
        if row[15]:
            raw["booktitle"] = row[15]
        if row[16]:
            raw["ref-type@name"] = row[16]
        authors = orjson.loads(row[2]) if row[2] != "[]" else []
        yield (
            row[0],
            Record(
                title=row[1],
                authors=[Author.from_dict(a) for a in authors],
                year=row[3],
                source_title=row[4],
                volume=row[5],
                issue=row[6],
                pages=row[7],
                doi=row[8],
                pmid=row[9],
                abstract=row[10],
                language=row[11],
                document_type=row[12],
                ids=orjson.loads(row[13]) if row[13] != "{}" else {},
                raw=raw,
            ),
        )


def decisions(db: Connection) -> dict[tuple[int, int], str]:
    return {
        (row[0], row[1]): row[2]
        for row in db.execute("SELECT record_a, record_b, decision FROM dedup_decisions")
    }


@dataclass(slots=True)
class ClusterRows:
    kept: int
    members: list[tuple[int, str, float]]  # duplicate record, rule, score
    made_by: str = "auto"


def clear(db: Connection, keep_decisions: bool = True) -> None:
    """Remove every dedup result (each removal logged); records lose their duplicate_of."""
    one_by_one(
        db,
        "SELECT id FROM records WHERE duplicate_of IS NOT NULL ORDER BY id",
        "UPDATE records SET duplicate_of = NULL WHERE id = ?",
    )
    _delete_clusters(db)
    one_by_one(db, "SELECT id FROM dedup_pairs ORDER BY id", "DELETE FROM dedup_pairs WHERE id = ?")
    if not keep_decisions:
        for table in ("dedup_decisions", "dedup_runs"):
            one_by_one(
                db, f"SELECT id FROM {table} ORDER BY id", f"DELETE FROM {table} WHERE id = ?"
            )


def _delete_clusters(db: Connection, cluster_id: int | None = None) -> None:
    """Delete one cluster (every cluster: None) with its members and merged fields, row by row
    (see `one_by_one`)."""
    which = "" if cluster_id is None else "WHERE cluster_id = ?"
    parameters = () if cluster_id is None else (cluster_id,)
    one_by_one(
        db,
        f"SELECT cluster_id, field FROM dedup_merged_fields {which} ORDER BY cluster_id, field",
        "DELETE FROM dedup_merged_fields WHERE cluster_id = ? AND field = ?",
        parameters,
    )
    one_by_one(
        db,
        f"SELECT record_id FROM dedup_members {which} ORDER BY cluster_id, record_id",
        "DELETE FROM dedup_members WHERE record_id = ?",
        parameters,
    )
    one_by_one(
        db,
        f"SELECT id FROM dedup_clusters {'' if cluster_id is None else 'WHERE id = ?'} ORDER BY id",
        "DELETE FROM dedup_clusters WHERE id = ?",
        parameters,
    )


def add_run(db: Connection, settings: dict[str, Any], records: int, candidates: int) -> int:
    return inserted_id(
        db,
        "INSERT INTO dedup_runs (started_at, settings, records, candidates) VALUES (?, ?, ?, ?)"
        " RETURNING id",
        (_now(), json.dumps(settings), records, candidates),
    )


def add_pairs(db: Connection, run_id: int | None, pairs: list[tuple]) -> None:
    db.executemany(
        "INSERT INTO dedup_pairs (run_id, record_a, record_b, outcome, rule, score)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (record_a, record_b) DO UPDATE SET"
        " outcome = excluded.outcome, rule = excluded.rule, score = excluded.score",
        [(run_id, *pair) for pair in pairs],
    )


def add_cluster(db: Connection, run_id: int | None, cluster: ClusterRows) -> int:
    cluster_id = inserted_id(
        db,
        "INSERT INTO dedup_clusters (run_id, kept_id, made_by) VALUES (?, ?, ?) RETURNING id",
        (run_id, cluster.kept, cluster.made_by),
    )
    rows = [(cluster_id, cluster.kept, "kept", "", 0.0)]
    rows += [(cluster_id, rid, "duplicate", rule, score) for rid, rule, score in cluster.members]
    db.executemany(
        "INSERT INTO dedup_members (cluster_id, record_id, role, rule, score)"
        " VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    db.executemany(
        "UPDATE records SET duplicate_of = ? WHERE id = ?",
        [(cluster.kept, rid) for rid, _, _ in cluster.members],
    )
    _merge_fields(db, cluster_id, cluster.kept, [rid for rid, _, _ in cluster.members])
    return cluster_id


def _merge_fields(db: Connection, cluster_id: int, kept: int, others: list[int]) -> None:
    columns = ", ".join(MERGE_FIELDS)
    rows = {
        row["id"]: row
        for row in db.execute(
            f"SELECT id, {columns} FROM records WHERE id IN ({','.join('?' * (len(others) + 1))})",
            [kept, *others],
        )
    }
    gained = []
    for name in MERGE_FIELDS:
        if rows[kept][name] not in _EMPTY:
            continue
        for other in others:
            value = rows[other][name]
            if value not in _EMPTY:
                gained.append((cluster_id, name, str(value), other))
                break
    db.executemany(
        "INSERT INTO dedup_merged_fields (cluster_id, field, value, from_record)"
        " VALUES (?, ?, ?, ?)",
        gained,
    )


def cluster_of(db: Connection, record_id: int) -> int | None:
    row = db.execute(
        "SELECT cluster_id FROM dedup_members WHERE record_id = ?", (record_id,)
    ).fetchone()
    return row[0] if row else None


def cluster_members(db: Connection, cluster_id: int) -> list[Row]:
    return db.execute(
        "SELECT * FROM dedup_members WHERE cluster_id = ? ORDER BY record_id", (cluster_id,)
    ).fetchall()


def undo_cluster(db: Connection, cluster_id: int) -> int:
    """Dissolve a cluster: its records are unique again and its pairs uncertain again.

    A merge the reviewer made is forgotten with its decision, so undoing it restores exactly the
    state before the merge. Returns the number of records freed.
    """
    row = db.execute("SELECT made_by FROM dedup_clusters WHERE id = ?", (cluster_id,)).fetchone()
    if row is None:
        raise SlrError(
            f"no duplicate cluster {cluster_id}",
            "`slr dedup --report PATH.csv` lists the cluster of every record",
        )
    members = [r["record_id"] for r in cluster_members(db, cluster_id)]
    marks = ",".join("?" * len(members))
    one_by_one(
        db,
        f"SELECT id FROM dedup_decisions WHERE decision = 'merge' AND record_a IN ({marks})"
        f" AND record_b IN ({marks}) ORDER BY id",
        "DELETE FROM dedup_decisions WHERE id = ?",
        [*members, *members],
    )
    one_by_one(
        db,
        f"SELECT id FROM dedup_pairs WHERE outcome = 'duplicate' AND record_a IN ({marks})"
        f" AND record_b IN ({marks}) ORDER BY id",
        "UPDATE dedup_pairs SET outcome = 'uncertain' WHERE id = ?",
        [*members, *members],
    )
    db.executemany(
        "UPDATE records SET duplicate_of = NULL WHERE id = ?", [(rid,) for rid in sorted(members)]
    )
    _delete_clusters(db, cluster_id)
    return len(members)


def uncertain_pairs(db: Connection) -> list[Row]:
    return db.execute(
        "SELECT * FROM dedup_pairs WHERE outcome = 'uncertain' ORDER BY score DESC, id"
    ).fetchall()


def decide(db: Connection, pair_id: int, decision: str) -> int | None:
    """Record a reviewer's merge or keep-apart on an uncertain pair; returns the cluster merged."""
    pair = db.execute("SELECT * FROM dedup_pairs WHERE id = ?", (pair_id,)).fetchone()
    if pair is None or pair["outcome"] != "uncertain":
        raise SlrError(f"pair {pair_id} is not an uncertain pair", "run `slr dedup` again")
    a, b = pair["record_a"], pair["record_b"]
    db.execute(
        "INSERT INTO dedup_decisions (record_a, record_b, decision, decided_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (record_a, record_b) DO UPDATE SET decision = excluded.decision",
        (a, b, decision, _now()),
    )
    if decision == "apart":
        db.execute("UPDATE dedup_pairs SET outcome = 'distinct' WHERE id = ?", (pair_id,))
        return None
    db.execute("UPDATE dedup_pairs SET outcome = 'duplicate' WHERE id = ?", (pair_id,))
    cluster_a, cluster_b = cluster_of(db, a), cluster_of(db, b)
    if cluster_a is None and cluster_b is None:
        kept, other = (a, b) if _completeness(db, a) >= _completeness(db, b) else (b, a)
        return add_cluster(
            db, None, ClusterRows(kept, [(other, "reviewer_merge", pair["score"])], "review")
        )
    if cluster_a is not None and cluster_b is not None:
        if cluster_a == cluster_b:
            return cluster_a
        # the smaller cluster joins the larger
        if len(cluster_members(db, cluster_a)) < len(cluster_members(db, cluster_b)):
            cluster_a, cluster_b = cluster_b, cluster_a
        # join the second cluster into the first: its records now point at the first's kept
        kept = db.execute(
            "SELECT kept_id FROM dedup_clusters WHERE id = ?", (cluster_a,)
        ).fetchone()[0]
        moved = [r["record_id"] for r in cluster_members(db, cluster_b)]
        # move the members (their pairs and decisions stay as they are)
        _delete_clusters(db, cluster_b)
        _join(db, cluster_a, kept, moved, pair["score"])
        return cluster_a
    cluster_id = cluster_a if cluster_a is not None else cluster_b
    assert cluster_id is not None
    kept = db.execute("SELECT kept_id FROM dedup_clusters WHERE id = ?", (cluster_id,)).fetchone()[
        0
    ]
    _join(db, cluster_id, kept, [b if cluster_a is not None else a], pair["score"])
    return cluster_id


def _join(db: Connection, cluster_id: int, kept: int, records: list[int], score: float) -> None:
    db.executemany(
        "INSERT INTO dedup_members (cluster_id, record_id, role, rule, score)"
        " VALUES (?, ?, 'duplicate', 'reviewer_merge', ?)",
        [(cluster_id, rid, score) for rid in records],
    )
    db.executemany(
        "UPDATE records SET duplicate_of = ? WHERE id = ?", [(kept, rid) for rid in records]
    )
    present = {
        r[0]
        for r in db.execute(
            "SELECT field FROM dedup_merged_fields WHERE cluster_id = ?", (cluster_id,)
        )
    }
    columns = ", ".join(MERGE_FIELDS)
    kept_row = db.execute(f"SELECT {columns} FROM records WHERE id = ?", (kept,)).fetchone()
    for rid in records:
        row = db.execute(f"SELECT {columns} FROM records WHERE id = ?", (rid,)).fetchone()
        for name in MERGE_FIELDS:
            if kept_row[name] in _EMPTY and name not in present and row[name] not in _EMPTY:
                db.execute(
                    "INSERT INTO dedup_merged_fields (cluster_id, field, value, from_record)"
                    " VALUES (?, ?, ?, ?)",
                    (cluster_id, name, str(row[name]), rid),
                )
                present.add(name)


def _completeness(db: Connection, record_id: int) -> int:
    columns = ", ".join(MERGE_FIELDS)
    row = db.execute(f"SELECT title, {columns} FROM records WHERE id = ?", (record_id,)).fetchone()
    return sum(1 for value in row if value not in _EMPTY)


def report_rows(db: Connection) -> Iterator[dict[str, Any]]:
    """One row per record: where it came from, its cluster, role, the rule and score behind it."""
    members = {
        row["record_id"]: row
        for row in db.execute(
            "SELECT m.*, c.kept_id FROM dedup_members m JOIN dedup_clusters c"
            " ON c.id = m.cluster_id"
        )
    }
    uncertain: dict[int, tuple[float, str, int]] = {}
    for row in db.execute(
        "SELECT record_a, record_b, rule, score FROM dedup_pairs WHERE outcome = 'uncertain'"
    ):
        for one, other in ((row[0], row[1]), (row[1], row[0])):
            if one not in uncertain or uncertain[one][0] < row[3]:
                uncertain[one] = (row[3], row[2], other)
    versions: dict[int, list[int]] = {}
    for a, b in db.execute(
        "SELECT record_a, record_b FROM dedup_pairs WHERE rule = 'preprint_vs_published'"
    ):
        versions.setdefault(a, []).append(b)
        versions.setdefault(b, []).append(a)
    for row in db.execute(
        "SELECT r.id, s.file_name, r.source_index FROM records r JOIN sources s"
        " ON s.id = r.source_id ORDER BY r.source_id, r.source_index"
    ):
        rid = row[0]
        base = {"record_id": rid, "source_file": row[1], "source_index": row[2]}
        # a preprint and its published version: kept apart, linked
        linked = " ".join(str(v) for v in sorted(versions.get(rid, ())))
        member = members.get(rid)
        if member is not None:
            yield base | {
                "cluster_id": member["cluster_id"],
                "role": member["role"],
                "rule": member["rule"],
                "score": member["score"] if member["role"] == "duplicate" else "",
                "kept_id": member["kept_id"],
                "uncertain_with": uncertain[rid][2] if rid in uncertain else "",
                "version_of": linked,
            }
        elif rid in uncertain:
            score, rule, other = uncertain[rid]
            yield base | {
                "cluster_id": "",
                "role": "uncertain",
                "rule": rule,
                "score": score,
                "kept_id": "",
                "uncertain_with": other,
                "version_of": linked,
            }
        else:
            yield base | {
                "cluster_id": "",
                "role": "unique",
                "rule": "",
                "score": "",
                "kept_id": "",
                "uncertain_with": "",
                "version_of": linked,
            }


REPORT_COLUMNS = (
    "record_id",
    "source_file",
    "source_index",
    "cluster_id",
    "role",
    "rule",
    "score",
    "kept_id",
    "uncertain_with",
    "version_of",
)


def set_run_seconds(db: Connection, run_id: int, seconds: float) -> None:
    db.execute("UPDATE dedup_runs SET seconds = ? WHERE id = ?", (seconds, run_id))


def member_count(db: Connection) -> int:
    """Records in duplicate clusters, kept ones included."""
    return int(db.execute("SELECT count(*) FROM dedup_members").fetchone()[0])
