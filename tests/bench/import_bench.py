"""Import benchmark: 100,000-record RIS, BibTeX and Scopus CSV files.

Times `slr import` end to end (decode, detect, parse, SQLite insert, verbatim copy) in a
subprocess, with its peak memory, and in the same run the bare parse of the same file by the
peers: rispy, bibtexparser and the csv module.

    python tests/bench/import_bench.py [--records N] [--repeat K] [--formats csv,ris,bib]

Goals (a review imports a few files once: plain and readable first, then fast enough): RIS and
Scopus CSV in at most 15 s each end to end; BibTeX within 1.5x bibtexparser's own parse; peak
memory under 1 GB. Each goal is printed with whether it holds.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import io
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import slr

WORDS = [
    "digital",
    "export",
    "small",
    "firms",
    "platform",
    "trust",
    "influencer",
    "cross-border",
    "commerce",
    "consumer",
    "content",
    "review",
    "market",
    "asia",
    "growth",
    "network",
    "logistics",
    "payment",
    "model",
    "survey",
    "evidence",
    "strategy",
    "capability",
    "adoption",
    "innovation",
    "social",
    "media",
    "internationalisation",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def fake_records(count: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    records = []
    for i in range(count):
        records.append(
            {
                "title": sentence(rng, 12) + f" {i}",
                "authors": [
                    (f"Family{rng.randrange(5000)}", f"Given{rng.randrange(90)}")
                    for _ in range(rng.randint(1, 6))
                ],
                "year": rng.randint(1990, 2026),
                "journal": sentence(rng, 4),
                "volume": str(rng.randint(1, 90)),
                "issue": str(rng.randint(1, 12)),
                "start": rng.randint(1, 900),
                "doi": f"10.{rng.randint(1000, 9999)}/bench.{i}",
                "abstract": ". ".join(sentence(rng, 18) for _ in range(8)) + ".",
                "keywords": [sentence(rng, 2) for _ in range(5)],
            }
        )
    return records


def write_ris(records: list[dict[str, object]]) -> str:
    out = io.StringIO()
    for r in records:
        out.write("TY  - JOUR\n")
        out.write(f"TI  - {r['title']}\n")
        for family, given in r["authors"]:  # type: ignore[union-attr]
            out.write(f"AU  - {family}, {given}\n")
        out.write(
            f"PY  - {r['year']}\nT2  - {r['journal']}\nVL  - {r['volume']}\n"
            f"IS  - {r['issue']}\nSP  - {r['start']}\nEP  - {int(r['start']) + 12}\n"  # type: ignore[call-overload]
            f"DO  - {r['doi']}\nAB  - {r['abstract']}\n"
        )
        for keyword in r["keywords"]:  # type: ignore[union-attr]
            out.write(f"KW  - {keyword}\n")
        out.write("DB  - Scopus\nER  - \n\n")
    return out.getvalue()


def write_bibtex(records: list[dict[str, object]]) -> str:
    out = io.StringIO()
    for i, r in enumerate(records):
        authors = " and ".join(f"{f}, {g}" for f, g in r["authors"])  # type: ignore[union-attr]
        out.write(
            f"@ARTICLE{{Key{i},\nauthor={{{authors}}},\ntitle={{{r['title']}}},\n"
            f"journal={{{r['journal']}}},\nyear={{{r['year']}}},\nvolume={{{r['volume']}}},\n"
            f"number={{{r['issue']}}},\npages={{{r['start']}-{int(r['start']) + 12}}},\n"  # type: ignore[call-overload]
            f"doi={{{r['doi']}}},\nabstract={{{r['abstract']}}},\n"
            f"author_keywords={{{'; '.join(r['keywords'])}}},\n"  # type: ignore[arg-type]
            f"document_type={{Article}},\nsource={{Scopus}}\n}}\n\n"
        )
    return out.getvalue()


SCOPUS_COLUMNS = [
    "Authors",
    "Author full names",
    "Author(s) ID",
    "Title",
    "Year",
    "Source title",
    "Volume",
    "Issue",
    "Art. No.",
    "Page start",
    "Page end",
    "Page count",
    "Cited by",
    "DOI",
    "Link",
    "Abstract",
    "Author Keywords",
    "Index Keywords",
    "References",
    "Publisher",
    "ISSN",
    "Language of Original Document",
    "Document Type",
    "Publication Stage",
    "Open Access",
    "Source",
    "EID",
]


def write_scopus_csv(records: list[dict[str, object]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(SCOPUS_COLUMNS)
    for i, r in enumerate(records):
        authors = r["authors"]
        writer.writerow(
            [
                "; ".join(f"{f} {g[0]}." for f, g in authors),  # type: ignore[union-attr]
                "; ".join(f"{f}, {g} ({57000000000 + i})" for f, g in authors),  # type: ignore[union-attr]
                "",
                r["title"],
                r["year"],
                r["journal"],
                r["volume"],
                r["issue"],
                "",
                r["start"],
                int(r["start"]) + 12,
                "13",
                "0",
                r["doi"],  # type: ignore[call-overload]
                f"https://www.scopus.com/inward/record.uri?eid=2-s2.0-{85000000000 + i}",
                r["abstract"],
                "; ".join(r["keywords"]),
                "",
                "",
                "Elsevier",
                "12345678",  # type: ignore[arg-type]
                "English",
                "Article",
                "Final",
                "",
                "Scopus",
                f"2-s2.0-{85000000000 + i}",
            ]
        )
    return out.getvalue()


def bare_rispy(path: Path) -> int:
    import rispy

    with path.open(encoding="utf-8") as handle:
        return len(rispy.load(handle))


def bare_bibtexparser(path: Path) -> int:
    import bibtexparser

    return len(bibtexparser.parse_string(path.read_text(encoding="utf-8")).entries)


def bare_csv(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


# `slr import` runs in a child that reports its own peak memory, VmHWM of its address space:
# RUSAGE_CHILDREN, and even the child's ru_maxrss (kept across exec), count the pages a forked
# child shares with this large benchmark process before it execs.
_CHILD = (
    "import sys\n"
    "from slr.cli import main\n"
    "try:\n"
    "    main(sys.argv[1:], prog_name='slr')\n"
    "finally:\n"
    "    with open('/proc/self/status') as status:\n"
    "        peak = next(line.split()[1] for line in status if line.startswith('VmHWM'))\n"
    "    print(f'peak-kb {peak}', file=sys.stderr)\n"
)


def slr_import(path: Path, workdir: Path) -> tuple[float, float, str, float]:
    """Seconds, peak MB of the importing process, what `slr import` printed, and the CPU
    seconds it used (on a machine others share, the CPU time is the steadier figure)."""
    review = workdir / "review"
    shutil.rmtree(review, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "slr", "init", str(review)], check=True, capture_output=True
    )
    cpu_before = _children_cpu()
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, "import", "--review", str(review), str(path)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    if child.returncode != 0:
        raise SystemExit(f"slr import failed: {child.stdout}{child.stderr}")
    peak_kb = int(child.stderr.rsplit("peak-kb ", 1)[1].split()[0])
    return seconds, peak_kb / 1024, child.stdout.strip(), cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(function, *args):
    start, cpu = time.perf_counter(), time.process_time()
    value = function(*args)
    return time.perf_counter() - start, value, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--formats", default="ris,bib,csv", help="which files, e.g. csv,ris")
    arguments = parser.parse_args()
    count, repeat = arguments.records, arguments.repeat
    records = fake_records(count)
    cases = [
        ("ris", write_ris, bare_rispy, "rispy.load"),
        ("bib", write_bibtex, bare_bibtexparser, "bibtexparser.parse_string"),
        ("csv", write_scopus_csv, bare_csv, "csv.DictReader"),
    ]
    chosen = arguments.formats.split(",")
    cases = sorted((c for c in cases if c[0] in chosen), key=lambda c: chosen.index(c[0]))
    print(
        f"{count:,} records per file; best of {repeat} runs (median in brackets); "
        f"times in seconds; rate in records/s; {os.cpu_count()} cores\n"
    )
    print(
        f"{'format':6} {'MB':>6} {'slr import':>15} {'CPU s':>6} {'rate':>9} {'peak MB':>8} | "
        f"{'peer parse':>15} {'CPU s':>6} {'rate':>9}  peer             slr/peer (CPU)  goal"
    )
    # slr as it runs once installed: pip writes its bytecode at install time, but an editable
    # install under PYTHONDONTWRITEBYTECODE would compile the edited modules on every run
    compileall.compile_dir(Path(slr.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for suffix, writer, peer, peer_name in cases:
            path = workdir / f"bench.{suffix}"
            path.write_text(writer(records), encoding="utf-8")
            os.sync()  # the file's writeback must not run during the timed imports
            size = path.stat().st_size / 1e6
            runs = [slr_import(path, workdir) for _ in range(repeat)]
            seconds = min(run[0] for run in runs)
            peak = max(run[1] for run in runs)
            peer_times = [timed(peer, path) for _ in range(repeat)]
            peer_seconds = min(t for t, _, _ in peer_times)
            peer_count = peer_times[0][1]
            median = statistics.median(run[0] for run in runs)
            peer_median = statistics.median(t for t, _, _ in peer_times)
            cpu = min(run[3] for run in runs)
            peer_cpu = min(c for _, _, c in peer_times)
            if suffix == "bib":
                goal = f"<= 1.5x peer: {seconds / peer_seconds <= 1.5}"
            else:
                goal = f"<= 15 s: {seconds <= 15}"
            print(
                f"{suffix:6} {size:6.1f} {seconds:7.2f} ({median:5.2f}) {cpu:6.2f} "
                f"{count / seconds:9,.0f} {peak:8.0f} | {peer_seconds:7.2f} ({peer_median:5.2f}) "
                f"{peer_cpu:6.2f} {peer_count / peer_seconds:9,.0f}  {peer_name:16} "
                f"{seconds / peer_seconds:5.2f}x ({cpu / peer_cpu:4.2f}x)  {goal}, "
                f"peak < 1 GB: {peak < 1024}"
            )
            print(f"       slr: {runs[0][2]}")


if __name__ == "__main__":
    main()
