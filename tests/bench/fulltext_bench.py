"""Compare PDF text libraries on ../shared/fulltext-pdfs/ (MANIFEST.csv is the ground truth),
then time slr's own reading of that folder and of 200 attached PDFs.

For each library and file: is the title and the first author's family name in the text of pages
1-2 (case, accents and punctuation ignored, ligatures as the library gives them), how long the
whole file takes, and what the hard cases do. A library that is not installed is skipped (slr
needs only pypdf). Then: `slr fulltext import` of the folder, and of 200 generated PDFs, with
the longest write (what a reviewer's key press could wait for).
Run: python tests/bench/fulltext_bench.py
"""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[3] / "shared" / "fulltext-pdfs"
logging.disable(logging.WARNING)


def squash(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def with_pypdf(path: Path) -> list[str]:
    import pypdf  # imported here so each library's import time is its own

    reader = pypdf.PdfReader(path)
    if reader.is_encrypted:
        reader.decrypt("")
    return [page.extract_text() or "" for page in reader.pages]


def with_pdfminer(path: Path) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    return [
        "".join(el.get_text() for el in page if isinstance(el, LTTextContainer))
        for page in extract_pages(path)
    ]


def with_pdfplumber(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


LIBRARIES: dict[str, Callable[[Path], list[str]]] = {
    "pypdf": with_pypdf,
    "pdfminer.six": with_pdfminer,
    "pdfplumber": with_pdfplumber,
}


def installed(name: str) -> bool:
    try:
        __import__({"pdfminer.six": "pdfminer", "pypdf": "pypdf"}.get(name, name))
    except ImportError:
        return False
    return True


def slr_import(folder: Path, records: str) -> None:
    """`slr fulltext import` of FOLDER into a new review of RECORDS (RIS): its time, and the
    longest write transaction it held."""
    import tempfile

    from slr.fulltext import attach
    from slr.store import Review
    from slr.store import fulltext as store

    longest = 0.0
    original = store.attach

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal longest
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            longest = max(longest, time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as scratch:
        exports = Path(scratch) / "records.ris"
        exports.write_text(records, encoding="utf-8")
        from slr.importing import import_files

        with Review.create(Path(scratch) / "review", None) as review:
            import_files(review, [exports])
            started = time.perf_counter()
            plan = attach.plan_import(review, folder)
            read = time.perf_counter() - started
            attach.store.attach = timed  # type: ignore[attr-defined]
            try:
                attach.run_import(review, plan)
            finally:
                attach.store.attach = original  # type: ignore[attr-defined]
            total = time.perf_counter() - started
    print(
        f"slr fulltext import {folder.name}: {len(plan.matched())} attached, "
        f"{len(plan.refused())} refused in {total:.1f} s (reading and matching {read:.1f} s); "
        f"longest write {longest * 1000:.0f} ms"
    )


def two_hundred(folder: Path) -> str:
    """200 small generated articles in FOLDER, and their records as RIS."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from test_fulltext_pdf import article

    entries = []
    for number in range(200):
        title = f"Digital tools of small firms number {number} in region {number % 7}"
        doi = f"10.5555/bench.{number}"
        body = [f"Firms in study {number} used e-commerce."] * 30
        pdf = article(title, f"Author{number} Lima", [f"https://doi.org/{doi}"], body)
        (folder / f"paper{number}.pdf").write_bytes(pdf)
        entries.append(
            f"TY  - JOUR\nTI  - {title}\nAU  - Lima{number}, A.\nPY  - 2020\nDO  - {doi}\nER  - "
        )
    return "\n\n".join(entries) + "\n"


def main() -> int:
    if not FOLDER.is_dir():
        print(f"no {FOLDER}")
        return 1
    for name in list(LIBRARIES):
        if not installed(name):
            print(f"{name} is not installed: skipped")
            del LIBRARIES[name]
    manifest = list(csv.DictReader((FOLDER / "MANIFEST.csv").open(encoding="utf-8")))
    totals: dict[str, float] = {}
    print("| file | " + " | ".join(f"{name} title/author/s" for name in LIBRARIES) + " |")
    print("|---|" + "---|" * len(LIBRARIES))
    found = {name: 0 for name in LIBRARIES}
    for row in manifest:
        cells = []
        for name, extract in LIBRARIES.items():
            started = time.perf_counter()
            stderr, sys.stderr = sys.stderr, io.StringIO()
            try:
                pages = extract(FOLDER / row["file"])
                error = ""
            except Exception as exc:  # the benchmark records every failure as a result
                pages, error = [], f"{type(exc).__name__}: {str(exc)[:60]}"
            finally:
                sys.stderr = stderr
            took = time.perf_counter() - started
            totals[name] = totals.get(name, 0.0) + took
            head = squash(" ".join(pages[:2]))
            title = bool(row["title"]) and squash(row["title"]) in head
            family = row["first_author"].split(",")[0]
            author = bool(family) and squash(family) in head
            found[name] += title and author
            chars = sum(len(p) for p in pages)
            what = error or f"{len(pages)}p {chars}c"
            cells.append(f"{'T' if title else '-'}{'A' if author else '-'} {took:.2f}s {what}")
        print(f"| {row['file']} | " + " | ".join(cells) + " |")
    print()
    for name in LIBRARIES:
        print(
            f"{name}: title+author on pages 1-2 in {found[name]}/{len(manifest)} files, "
            f"{totals[name]:.1f} s for the folder"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
