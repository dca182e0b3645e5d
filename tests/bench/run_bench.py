"""Benchmark: `slr run` on 100,000 records (goal: within 10 minutes and 4 GB on 2 cores, every
output written).

Run: python tests/bench/run_bench.py [--records 100000] [--keep DIR] [--profile FILE]

The records are made up but shaped like a real search: works whose titles and abstracts use the
words of protocols/msme-digital-drivers.toml (about half name two or more digital drivers, so
about half the studies are included, as in the reliability issue's 47,529 of 100,000), authors
drawn from a long-tailed list of family names (Wang and Nguyen are common, as they are in
Asian business research), years, sources, DOIs on most works; exported by Scopus (CSV), Web of
Science (plain text) and EBSCOhost (RIS), a work often in two or three of them with the
differences those databases make (case, a missing DOI, abbreviated names). A quarter of the
works cite 10-40 others of the set (Scopus and WoS references, by DOI or by author, year and
title or abbreviated source) and works outside it.

`slr run` runs as a subprocess of a fresh interpreter; its summary gives the seconds and the
peak memory after each stage, and the child's peak resident memory (getrusage) is checked
against the goal. --profile FILE runs it under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
GOAL_SECONDS = 600
GOAL_MB = 4096

# fmt: off
COMMON_FAMILIES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
    "Ma", "Zhu", "Hu", "Guo", "Lin", "He", "Gao", "Luo", "Nguyen", "Tran", "Le", "Pham",
    "Hoang", "Vu", "Dang", "Bui", "Do", "Ho", "Kumar", "Sharma", "Singh", "Gupta", "Patel",
    "Reddy", "Rao", "Tan", "Lim", "Lee", "Ng", "Ong", "Teo", "Wong", "Kim", "Park", "Choi",
    "Jung", "Kang", "Rahman", "Hassan", "Ahmad", "Abdullah", "Ismail", "Wijaya", "Santoso",
    "Pratama", "Putri", "Saputra", "Hidayat", "Setiawan", "Nugroho", "Kurniawan", "Susanto",
)
SYLLABLES = (
    "ka", "ri", "ta", "su", "ma", "di", "ya", "no", "to", "ra", "wi", "ja", "sa", "ti", "pu",
    "ha", "ni", "lo", "ke", "an", "ar", "in", "un", "en", "sur", "bud", "har", "son", "wat",
    "chai", "pong", "sak", "kit", "nam", "pra", "mon", "lee", "berg", "man", "ton", "sen",
    "ova", "ski", "ez",
)
# fmt: on
SOURCES = (
    "Journal of Small Business Management",
    "International Small Business Journal",
    "Journal of International Business Studies",
    "Journal of World Business",
    "International Marketing Review",
    "Journal of Business Research",
    "Electronic Commerce Research and Applications",
    "Journal of Electronic Commerce Research",
    "Asia Pacific Journal of Marketing and Logistics",
    "Journal of Retailing and Consumer Services",
    "Technological Forecasting and Social Change",
    "Journal of Research in Interactive Marketing",
    "Internet Research",
    "Information and Management",
    "Journal of Global Marketing",
    "Asian Business and Management",
    "Sustainability",
    "Heliyon",
    "Cogent Business and Management",
    "Jurnal Manajemen dan Kewirausahaan",
    "Small Business Economics",
    "Journal of Enterprising Communities",
    "International Journal of Emerging Markets",
    "Journal of Asian Business and Economic Studies",
)
STOP = {"of", "and", "the", "in", "on", "for", "dan"}
FILLER = (
    "This study examines how {a} shapes the {b} of small firms. Drawing on {theory}, "
    "we analyse {method} evidence from {country}. Results show that {c} strengthens "
    "export performance while {risk} remains a barrier. Implications for managers and "
    "policy makers are discussed."
)


@dataclass(slots=True)
class Work:
    number: int
    title: str
    abstract: str
    keywords: list[str]
    authors: list[tuple[str, str]]  # family, given
    year: int
    source: str
    volume: int
    issue: int
    page: int
    doi: str
    document_type: str
    cites: list[int] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # references to works outside the set


def vocabulary_terms() -> dict[str, list[str]]:
    """group -> plain terms of the protocol (wildcards dropped, NEAR terms left out)."""
    protocol = tomllib.loads(PROTOCOL.read_text(encoding="utf-8"))
    found: dict[str, list[str]] = {}

    def plain(term: str) -> str:
        return term.replace("*", "").replace("?", "s").replace("$", "l")

    for vocabulary, groups in protocol["vocabularies"].items():
        for group, value in groups.items():
            terms = value if isinstance(value, list) else value.get("terms", [])
            chosen = [plain(t) for t in terms if "NEAR/" not in t and "|" not in t]
            if chosen:
                found[f"{vocabulary}.{group}"] = chosen
    return found


# Zipf-like weights: Wang is the first author of about 4 % of the works, as in Asian business
# research, and every fuzzy citation match compares a reference with each work of its author
COMMON_WEIGHTS = [1 / rank**0.55 for rank in range(1, len(COMMON_FAMILIES) + 1)]


def family_name(rng: random.Random) -> str:
    if rng.random() < 0.55:
        return rng.choices(COMMON_FAMILIES, COMMON_WEIGHTS)[0]
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def given_name(rng: random.Random) -> str:
    first = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))).capitalize()
    if rng.random() < 0.4:
        first += " " + "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
    return first


def make_works(count: int, rng: random.Random) -> list[Work]:
    terms = vocabulary_terms()
    drivers = [g for g in terms if g.startswith("drivers.")]

    def term(group: str) -> str:
        return rng.choice(terms[group])

    works = []
    for number in range(count):
        kind = rng.random()
        if kind < 0.50:
            chosen = rng.sample(drivers, rng.choice((2, 2, 3, 4)))
        elif kind < 0.72:
            chosen = rng.sample(drivers, 1)
        else:
            chosen = []
        words = [term(g) for g in chosen]
        msme = term("context.msme") if rng.random() < 0.8 or chosen else "large firms"
        country = term(rng.choice(("asia.china", "asia.indonesia", "asia.vietnam", "asia.india")))
        if kind > 0.9:  # off-topic: no driver, no MSME, no digital word
            title = f"Soil {rng.choice(('nitrogen', 'carbon', 'salinity'))} dynamics in {country}"
            abstract = f"We measure {title.lower()} across {rng.randint(3, 90)} field plots."
            msme = ""
        else:
            title = (
                f"{' and '.join(w.capitalize() for w in words) or 'Digital capabilities'} for "
                f"{msme} {term('context.internationalisation')} in {country}"
            )
            if rng.random() < 0.5:
                title += f": {rng.choice(('evidence', 'a study', 'lessons'))} from "
                title += f"{term('platform.' + rng.choice(('tiktok', 'shopee', 'amazon')))}"
            abstract = FILLER.format(
                a=words[0] if words else "digital marketing",
                b=term("context.internationalisation"),
                theory=rng.choice(terms["theory.network"] + terms["theory.rbv"]),
                method=term(rng.choice([g for g in terms if g.startswith("method.")])),
                country=country,
                c=words[-1] if words else "platform adoption",
                risk=term(rng.choice([g for g in terms if g.startswith("risk.")])),
            )
        authors = [(family_name(rng), given_name(rng)) for _ in range(rng.randint(1, 5))]
        year = rng.randint(2018, 2026) if rng.random() < 0.93 else rng.randint(2005, 2017)
        works.append(
            Work(
                number=number,
                title=f"{title} ({number})" if rng.random() < 0.02 else title,
                abstract=abstract if rng.random() < 0.92 else "",
                keywords=[w for w in (*words, msme, country) if w][:6],
                authors=authors,
                year=year,
                source=rng.choice(SOURCES),
                volume=rng.randint(1, 80),
                issue=rng.randint(1, 12),
                page=rng.randint(1, 2000),
                doi=f"10.{rng.randint(1000, 9999)}/bench.{number}" if rng.random() < 0.85 else "",
                document_type="Article" if rng.random() < 0.9 else "Conference Paper",
            )
        )
    # a quarter of the works cite earlier works of the set, the popular ones more often
    for work in works:
        if rng.random() >= 0.25 or work.number < 10:
            continue
        # squaring the draw favours the early works: a few are cited often, most rarely
        cited = {int(work.number * rng.random() ** 2) for _ in range(rng.randint(10, 40))}
        work.cites = sorted(cited)
        work.outside = [
            f"{family_name(rng)} {given_name(rng)[0]}, {rng.randint(1990, 2024)}, "
            f"{abbreviate(rng.choice(SOURCES))}, V{rng.randint(1, 60)}, P{rng.randint(1, 900)}"
            for _ in range(rng.randint(3, 15))
        ]
    return works


def abbreviate(source: str) -> str:
    """WoS's abbreviation: each significant word cut to at most five letters, upper case."""
    words = [w for w in re.sub(r"[^\w ]", " ", source).split() if w.lower() not in STOP]
    return " ".join(w[:5].upper() for w in words)


def initials(given: str) -> str:
    return "".join(part[0] for part in given.split())


# -- the three exports -------------------------------------------------------------------------


def scopus_reference(work: Work, rng: random.Random) -> str:
    names = ", ".join(f"{f} {'.'.join(initials(g))}." for f, g in work.authors[:3])
    text = f"{names}, {work.title}, {work.source}, {work.volume}, {work.issue}, "
    text += f"pp. {work.page}-{work.page + 14}, ({work.year})"
    return text + (f", DOI {work.doi}" if work.doi and rng.random() < 0.5 else "")


def wos_reference(work: Work, rng: random.Random) -> str:
    family, given = work.authors[0]
    text = f"{family} {initials(given)}, {work.year}, {abbreviate(work.source)}, "
    text += f"V{work.volume}, P{work.page}"
    return text + (f", DOI {work.doi}" if work.doi and rng.random() < 0.7 else "")


# fmt: off
SCOPUS_HEADER = (
    "Authors", "Author full names", "Author(s) ID", "Title", "Year", "Source title", "Volume",
    "Issue", "Art. No.", "Page start", "Page end", "Page count", "Cited by", "DOI", "Link",
    "Abstract", "Author Keywords", "Index Keywords", "References", "Publisher", "ISSN",
    "Language of Original Document", "Document Type", "Publication Stage", "Open Access",
    "Source", "EID",
)
# fmt: on


def write_scopus(path: Path, works: list[Work], every: list[Work], rng: random.Random) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(SCOPUS_HEADER)
        for work in works:
            references = [scopus_reference(every[i], rng) for i in work.cites]
            row = dict.fromkeys(SCOPUS_HEADER, "")
            row.update(
                {
                    "Authors": "; ".join(f"{f} {'.'.join(initials(g))}." for f, g in work.authors),
                    "Author full names": "; ".join(f"{f}, {g}" for f, g in work.authors),
                    "Title": work.title,
                    "Year": str(work.year),
                    "Source title": work.source,
                    "Volume": str(work.volume),
                    "Issue": str(work.issue),
                    "Page start": str(work.page),
                    "Page end": str(work.page + 14),
                    "DOI": work.doi if rng.random() < 0.95 else "",
                    "Abstract": work.abstract,
                    "Author Keywords": "; ".join(work.keywords),
                    "References": "; ".join(references + work.outside),
                    "Language of Original Document": "English",
                    "Document Type": work.document_type,
                    "Source": "Scopus",
                    "EID": f"2-s2.0-{85000000000 + work.number}",
                }
            )
            writer.writerow(row.values())


def write_wos(path: Path, works: list[Work], every: list[Work], rng: random.Random) -> None:
    def field_lines(tag: str, values: list[str]) -> list[str]:
        return [f"{tag} {values[0]}", *(f"   {v}" for v in values[1:])] if values else []

    with path.open("w", encoding="utf-8-sig", newline="\n") as handle:
        handle.write("FN Clarivate Analytics Web of Science\nVR 1.0\n")
        for work in works:
            title = work.title.upper() if rng.random() < 0.2 else work.title
            lines = ["PT J"]
            lines += field_lines("AU", [f"{f}, {initials(g)}" for f, g in work.authors])
            lines += field_lines("AF", [f"{f}, {g}" for f, g in work.authors])
            lines += [f"TI {title}", f"SO {work.source.upper()}", "LA English"]
            lines += [f"DT {'Article' if work.document_type == 'Article' else 'Proceedings Paper'}"]
            lines += [f"DE {'; '.join(work.keywords)}"]
            if work.abstract:
                lines += [f"AB {work.abstract}"]
            references = [wos_reference(every[i], rng) for i in work.cites] + work.outside
            lines += field_lines("CR", references)
            lines += [f"NR {len(references)}", f"PY {work.year}", f"VL {work.volume}"]
            lines += [f"BP {work.page}", f"EP {work.page + 14}"]
            if work.doi and rng.random() < 0.9:
                lines += [f"DI {work.doi}"]
            lines += [f"UT WOS:{1000000000 + work.number:015d}", "ER", ""]
            handle.write("\n".join(lines) + "\n")
        handle.write("EF\n")


def write_ris(path: Path, works: list[Work], rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for work in works:
            lines = ["TY  - JOUR"]
            lines += [f"AU  - {f}, {g}" for f, g in work.authors]
            lines += [f"T1  - {work.title}.", f"JO  - {work.source}", f"Y1  - {work.year}///"]
            lines += [f"VL  - {work.volume}", f"IS  - {work.issue}", f"SP  - {work.page}"]
            if work.abstract:
                lines += [f"AB  - {work.abstract}"]
            lines += [f"KW  - {k}" for k in work.keywords]
            if work.doi and rng.random() < 0.7:
                lines += [f"L3  - {work.doi}"]
            lines += ["DP  - EBSCOhost", "ER  - ", ""]
            handle.write("\n".join(lines) + "\n")


def make_exports(records: int, folder: Path, seed: int = 2026) -> list[Path]:
    """Three exports holding `records` records in all; about a third are copies of a work
    another export holds too."""
    rng = random.Random(seed)
    works = make_works(int(records / 1.45), rng)
    files: list[list[Work]] = [[], [], []]
    total = 0
    for work in works:
        copies = rng.choices((1, 2, 3), weights=(62, 28, 10))[0]
        for index in sorted(rng.sample(range(3), copies)):
            files[index].append(work)
            total += 1
    while total > records:  # trim to the exact size asked for
        longest = max(files, key=len)
        longest.pop()
        total -= 1
    scopus, wos, ris = (folder / n for n in ("scopus.csv", "wos.txt", "ebsco.ris"))
    write_scopus(scopus, files[0], works, rng)
    write_wos(wos, files[1], works, rng)
    write_ris(ris, files[2], rng)
    return [scopus, wos, ris]


# -- the run -----------------------------------------------------------------------------------


def run(exports: list[Path], out: Path, profile: Path | None) -> tuple[int, str, float, float]:
    """Exit code, output, seconds and the peak resident memory of `slr run` in MB (os.wait4:
    that child's own figure)."""
    head = [sys.executable]
    if profile is not None:
        head += ["-m", "cProfile", "-o", str(profile)]
    command = [*head, "-m", "slr", "run", "--protocol", str(PROTOCOL), "--out", str(out)]
    command += [str(p) for p in exports]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    return child.returncode, output, seconds, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="make the exports and the review here")
    parser.add_argument("--profile", type=Path, help="run under cProfile, write the stats here")
    parser.add_argument("--make-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_only is not None:
        make_exports(args.records, args.make_only)
        return 0
    # bytecode compiled first, as an install does: the run measures slr, not the compiler
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "slr")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        # made by another process: Linux counts the memory of the process that starts
        # `slr run` in the child's peak (vfork), so this one stays small
        make = [sys.executable, __file__, "--records", str(args.records), "--make-only", folder]
        subprocess.run(make, check=True)
        exports = [folder / n for n in ("scopus.csv", "wos.txt", "ebsco.ris")]
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in exports)
        print(f"{args.records} records made in {time.perf_counter() - started:.0f} s: {sizes}")
        out = folder / "review"
        code, output, seconds, peak = run(exports, out, args.profile)
        print(output.rstrip())
        written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        missing = [
            p
            for p in ("prisma/prisma.html", "prisma/PRISMA.csv", "exports/included.ris")
            if p not in written
        ]
        print(
            f"slr run: exit {code}, {seconds:.0f} s (goal {GOAL_SECONDS} s), peak memory "
            f"{peak:.0f} MB (goal {GOAL_MB} MB), {len(written)} files"
            + (f"; MISSING {', '.join(missing)}" if missing else "")
        )
    if args.profile is not None:
        import pstats

        stats = pstats.Stats(str(args.profile))
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
    ok = code == 0 and not missing and seconds <= GOAL_SECONDS and peak <= GOAL_MB
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
