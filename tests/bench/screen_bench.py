"""Benchmark: the next record on screen within 50 ms of the keypress, with 100,000 records.

Run: python tests/bench/screen_bench.py [RECORDS] [KEYPRESSES]

The demo corpus is imported into a temporary review with the 002 protocol and its 254 records
are copied (with a distinct title word per copy) until the review holds RECORDS records; `slr
screen auto` runs on all of them. Then a reviewer's session opens (the queue is built once) and
for each of KEYPRESSES keys (include, exclude with a reason, maybe, in turn) this times what the
screen does between the key and the next screen: `Session.decide` (the decision committed to
the database) and `Session.render` (the next record read, highlighted and laid out for 80x24).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from slr.importing import import_files
from slr.screening.run import review_protocol, screen_auto
from slr.screening.session import Session
from slr.store import Review

REPO = Path(__file__).resolve().parents[2]
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
COPIED = (
    "source_id, line, authors, year, source_title, volume, issue, pages, doi, pmid, issn, isbn, "
    "abstract, copyright, author_keywords, index_keywords, language, document_type, url, "
    "publisher, ids, cited_references, cited_dois, raw"
)


def build(path: Path, records: int) -> float:
    started = time.perf_counter()
    with Review.create(path, PROTOCOL) as review:
        import_files(review, sorted((REPO / "corpus" / "exports").iterdir()))
        db = review.db
        base = db.execute("SELECT count(*) FROM records").fetchone()[0]
        copy = 0
        with db:
            while db.execute("SELECT count(*) FROM records").fetchone()[0] < records:
                copy += 1
                missing = records - db.execute("SELECT count(*) FROM records").fetchone()[0]
                db.execute(
                    f"INSERT INTO records (source_index, title, {COPIED}) "
                    f"SELECT source_index + ? * 1000, title || ' (copy ' || ? || ')', {COPIED} "
                    "FROM records WHERE id <= ? ORDER BY id LIMIT ?",
                    (copy, copy, base, missing),
                )
        protocol, sha256 = review_protocol(review)
        screen_auto(review, protocol, protocol_sha256=sha256)
    return time.perf_counter() - started


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    keypresses = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "review"
        built = build(path, records)
        with Review.open(path) as review:
            count = review.record_count()
            protocol, _ = review_protocol(review)
            started = time.perf_counter()
            session = Session(review, "title_abstract", "bench", protocol, styles=True)
            opened = time.perf_counter() - started
            session.render()
            renders: list[float] = []
            total: list[float] = []
            reasons = protocol.exclusion_reasons
            for number in range(keypresses):
                started = time.perf_counter()
                kind = ("include", "exclude", "maybe")[number % 3]
                session.decide(kind, reasons[3] if kind == "exclude" else "")
                decided = time.perf_counter()
                screen = session.render()
                done = time.perf_counter()
                assert "record" in screen
                renders.append(done - decided)
                total.append(done - started)
    print(f"review: {count:,} records (built and screened by rules in {built:.1f} s)")
    print(f"session opened (queue of {len(session.queue):,} records) in {opened * 1000:.0f} ms")
    for label, values in (("render next record", renders), ("key to next screen", total)):
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"{label}: median {statistics.median(values) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {max(values) * 1000:.1f} ms ({len(values)} keys)"
        )
    worst = sorted(total)[int(0.95 * (len(total) - 1))]
    print("target: next record within 50 ms of the key (p95):", "met" if worst < 0.05 else "MISSED")


if __name__ == "__main__":
    main()
