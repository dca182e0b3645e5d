"""Benchmark: a review in PostgreSQL against one in a directory (SQLite), at 100,000 records.

Run: python tests/bench/postgres_bench.py [RECORDS] [KEYPRESSES] [--url postgresql://...]

A RIS export of RECORDS journal articles (random titles and abstracts from a small vocabulary,
one in twenty a duplicate of an earlier one with its title in other case) is imported into a
review on each engine (a throwaway local server from tests/postgres_server.py unless --url names
a database); then `slr dedup` and `slr screen auto` run on each. Printed: the seconds of each
step on each engine. Then a reviewer's session opens on the PostgreSQL review and for each of
KEYPRESSES keys (include, exclude with a reason, maybe, in turn) this times what the screen does
between the key and the next screen (`Session.decide`, the decision committed over the
connection, and `Session.render`, the next record read and laid out): target p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))  # tests/postgres_server.py

from postgres_server import PostgresServer  # noqa: E402

from slr.dedup import deduplicate  # noqa: E402
from slr.importing import import_files  # noqa: E402
from slr.screening.run import review_protocol, screen_auto  # noqa: E402
from slr.screening.session import Session  # noqa: E402
from slr.store import Review  # noqa: E402

PROTOCOL = TESTS.parent / "protocols" / "msme-digital-drivers.toml"
WORDS = [
    "digital",
    "export",
    "small",
    "firms",
    "platform",
    "trust",
    "influencer",
    "live",
    "streaming",
    "social",
    "commerce",
    "marketing",
    "cross-border",
    "internationalisation",
    "survey",
    "case",
    "study",
    "emerging",
    "market",
    "daigou",
    "jastip",
    "user",
    "generated",
    "content",
    "tiktok",
    "shopee",
    "consumer",
    "behaviour",
    "entrepreneurs",
    "asia",
    "sme",
    "msme",
    "network",
    "capability",
    "performance",
    "innovation",
    "adoption",
    "e-commerce",
]


def export_file(path: Path, records: int) -> Path:
    rng = random.Random(7)
    titles: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        for number in range(records):
            if titles and number % 20 == 19:
                title = rng.choice(titles).upper()  # a duplicate, as another database wrote it
            else:
                title = " ".join(rng.choice(WORDS) for _ in range(10)) + f" {number}"
                titles.append(title)
            abstract = " ".join(rng.choice(WORDS) for _ in range(80))
            out.write(
                f"TY  - JOUR\nAU  - Author{number % 5000}, A.\nAU  - Writer{number % 731}, B.\n"
                f"TI  - {title}\nAB  - {abstract}\nPY  - {2015 + number % 11}\n"
                f"JO  - Journal of {rng.choice(WORDS)}\nVL  - {number % 40}\nER  - \n\n"
            )
    return path


def timed(label: str, times: dict[str, float], action: object) -> object:
    started = time.perf_counter()
    result = action()  # type: ignore[operator]
    times[label] = time.perf_counter() - started
    return result


def build(location: Path | str, export: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    with Review.create(location, PROTOCOL) as review:
        timed("import", times, lambda: import_files(review, [export]))
        timed("dedup", times, lambda: deduplicate(review))
        protocol, sha256 = review_protocol(review)
        timed("screen auto", times, lambda: screen_auto(review, protocol, protocol_sha256=sha256))
    return times


def keypresses(location: str, count: int) -> tuple[list[float], float]:
    with Review.open(location) as review:
        protocol, _ = review_protocol(review)
        started = time.perf_counter()
        session = Session(review, "title_abstract", "bench", protocol, styles=True)
        opened = time.perf_counter() - started
        session.render()
        reasons = protocol.exclusion_reasons
        total: list[float] = []
        for number in range(count):
            started = time.perf_counter()
            kind = ("include", "exclude", "maybe")[number % 3]
            session.decide(kind, reasons[3] if kind == "exclude" else "")
            screen = session.render()
            total.append(time.perf_counter() - started)
            assert "record" in screen
    return total, opened


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("records", nargs="?", type=int, default=100_000)
    parser.add_argument("keys", nargs="?", type=int, default=300)
    parser.add_argument("--url", help="a PostgreSQL database to use (default: a local server)")
    options = parser.parse_args()
    server = None if options.url else PostgresServer().start()
    url = options.url or server.url  # type: ignore[union-attr]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            export = export_file(Path(tmp) / "bench.ris", options.records)
            in_database = f"{url}#bench_{uuid.uuid4().hex[:8]}"
            results = {
                "sqlite": build(Path(tmp) / "review", export),
                "postgresql": build(in_database, export),
            }
            print(f"{options.records:,} records")
            for step in ("import", "dedup", "screen auto"):
                print(
                    f"{step:<12} sqlite {results['sqlite'][step]:6.1f} s   "
                    f"postgresql {results['postgresql'][step]:6.1f} s"
                )
            total, opened = keypresses(in_database, options.keys)
    finally:
        if server is not None:
            server.stop()
    ordered = sorted(total)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(f"postgresql session opened in {opened * 1000:.0f} ms")
    print(
        f"key to next screen: median {statistics.median(total) * 1000:.1f} ms, p95 "
        f"{p95 * 1000:.1f} ms, max {max(total) * 1000:.1f} ms ({len(total)} keys)"
    )
    print("target: next record within 50 ms of the key (p95):", "met" if p95 < 0.05 else "MISSED")


if __name__ == "__main__":
    main()
