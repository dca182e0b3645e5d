"""Deduplication at scale: 10k, 50k, 100k records made by perturbing real records, known truth.

    python tests/bench/dedup_scale.py [--sizes 10000,50000,100000] [--data DIR]

Each size runs in a fresh process (peak memory is that process's maximum resident set): the
records are stored in a temporary review, then `deduplicate` runs on it. Base works are the
cluster representatives of the labelled sets; when more works are needed, new distinct works are
derived from them (title words of one work, the authors of another, other year, volume, pages).
Copies of a work get the perturbations databases make: typos, case, a dropped subtitle, a missing
DOI, another author format, HTML entities, abbreviated page ranges.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from slr.importers import read_file
from slr.models import Author, Record

DATA = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "dedup"
SETS = (
    "bibdedupe-digital-work/records_pre_merged.csv",
    "asysd-diabetes/labelled_test_set.csv",
    "sra-rathbone-2015/cytology_screening/records_pre_merged.csv",
    "sra-rathbone-2015/respiratory/records_pre_merged.csv",
    "sra-rathbone-2015/stroke/records_pre_merged.csv",
)


def base_works(data: Path) -> list[Record]:
    works = []
    for relative in SETS:
        path = data / relative
        seen: set[int] = set()
        cluster_of = {}
        with (path.parent / "merged_record_ids.csv").open(encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle)):
                for label in row["merged_ids"].split(";"):
                    cluster_of[label] = number
        for record in read_file(path, None, None).result.records:
            raw = record.raw
            label = raw.get("ID") or f"id_{int(raw.get('record_id', 0)):07d}"
            cluster = cluster_of.get(label)
            if cluster is not None:
                if cluster in seen:
                    continue
                seen.add(cluster)
            if len(record.title) >= 30 and record.authors:
                record.raw = {}
                works.append(record)
    return works


def derive(rng: random.Random, works: list[Record], number: int) -> Record:
    """A new distinct work: words of two titles, another work's authors, other numbers."""
    a, b = rng.sample(works, 2)
    words = a.title.split()
    cut = max(3, len(words) // 2)
    title = " ".join(words[:cut] + b.title.split()[cut // 2 :][:8]) + f" ({number})"
    return Record(
        title=title,
        authors=list(rng.choice(works).authors),
        year=rng.randint(1990, 2024),
        source_title=rng.choice(works).source_title,
        volume=str(rng.randint(1, 120)),
        issue=str(rng.randint(1, 12)),
        pages=f"{(p := rng.randint(1, 3000))}-{p + rng.randint(3, 20)}",
        doi=f"10.9999/derived.{number}",
        abstract=b.abstract,
    )


def typo(rng: random.Random, text: str) -> str:
    if len(text) < 10:
        return text
    i = rng.randrange(len(text) - 1)
    kind = rng.random()
    if kind < 0.33:
        return text[:i] + text[i + 1 :]
    if kind < 0.66:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeiou") + text[i:]


def perturb(rng: random.Random, work: Record) -> Record:
    title = work.title
    change = rng.random()
    if change < 0.2:
        title = typo(rng, title)
    elif change < 0.35:
        title = title.upper() if rng.random() < 0.5 else title.lower()
    elif change < 0.5 and ": " in title:
        title = title.split(": ")[0]
    elif change < 0.6:
        title = title.replace(" and ", " &amp; ").replace(" of ", " <i>of</i> ")
    authors = list(work.authors)
    if rng.random() < 0.3:
        authors = [Author(a.family.upper(), a.given[:1]) for a in authors]
    elif rng.random() < 0.2:
        authors = [Author(a.given, a.family) if a.given else a for a in authors]  # swapped
    pages = work.pages
    if rng.random() < 0.3 and "-" in pages:
        first, _, last = pages.partition("-")
        if len(first) == len(last) and len(last) > 1:
            pages = f"{first}-{last[-1]}" if first[:-1] == last[:-1] else pages
    return Record(
        title=title,
        authors=authors,
        year=work.year,
        source_title=work.source_title,
        volume=work.volume if rng.random() < 0.9 else "",
        issue=work.issue,
        pages=pages if rng.random() < 0.9 else "",
        doi=work.doi if rng.random() < 0.6 else "",
        abstract=work.abstract if rng.random() < 0.7 else "",
    )


def make(size: int, data: Path, seed: int = 7) -> tuple[list[Record], list[int]]:
    """`size` records and the work each copies (the truth)."""
    rng = random.Random(seed)
    works = base_works(data)
    needed = int(size / 1.8)
    pool = list(works)
    while len(pool) < needed:
        pool.append(derive(rng, works, len(pool)))
    pool = pool[:needed]
    records, truth = [], []
    for number, work in enumerate(pool):
        copies = 1 if rng.random() < 0.45 else rng.choice((2, 2, 3, 4))
        for copy in range(copies):
            if len(records) >= size:
                break
            records.append(work if copy == 0 else perturb(rng, work))
            truth.append(number)
    while len(records) < size:
        number = rng.randrange(len(pool))
        records.append(perturb(rng, pool[number]))
        truth.append(number)
    order = list(range(size))
    rng.shuffle(order)
    return [records[i] for i in order], [truth[i] for i in order]


def run_one(size: int, data: Path) -> dict:
    from slr.dedup import deduplicate
    from slr.store import Review
    from slr.store.review import SourceInfo

    records, truth = make(size, data)
    with tempfile.TemporaryDirectory() as tmp:
        review = Review.create(Path(tmp) / "review")
        empty = Path(tmp) / "scale.csv"
        empty.write_bytes(b"")
        info = SourceInfo(
            file_name="scale.csv",
            original=empty,
            size=0,
            sha256="0" * 64,
            format="csv",
            flavour="",
            encoding="utf-8",
        )
        with review.db:
            review.add_source(info, records, [])
        started = time.perf_counter()
        summary = deduplicate(review)
        seconds = time.perf_counter() - started
        kept_of = {
            row[0]: row[1] if row[1] is not None else row[0]
            for row in review.db.execute("SELECT id, duplicate_of FROM records ORDER BY id")
        }
        review.close()
    ids = sorted(kept_of)
    removed = [i for i in ids if kept_of[i] != i]
    work_of = {record_id: truth[n] for n, record_id in enumerate(ids)}
    survivors = {work_of[i] for i in ids if kept_of[i] == i}
    fp = sum(1 for i in removed if work_of[i] not in survivors)
    false_merges = sum(1 for i in removed if work_of[i] != work_of[kept_of[i]])
    true_dups = size - len(set(truth))
    return {
        "records": size,
        "true_dups": true_dups,
        "removed": len(removed),
        "fp": fp,
        "false_merges": false_merges,
        "sensitivity": round((len(removed) - false_merges) / true_dups, 4),
        "uncertain": summary.uncertain,
        "candidates": summary.candidates,
        "seconds": round(seconds, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,100000")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.data)))
        return
    print("records  true dups  removed  FP  false merges  sens    uncertain  candidates  sec  MB")
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--data", str(args.data)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['records']:>7}  {r['true_dups']:>9}  {r['removed']:>7}  {r['fp']:>2}  "
            f"{r['false_merges']:>12}  {r['sensitivity']:.4f}  {r['uncertain']:>9}  "
            f"{r['candidates']:>10}  {r['seconds']:>4}  {r['peak_mb']}"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
