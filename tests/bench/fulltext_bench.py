"""Compare PDF text libraries on ../shared/fulltext-pdfs/ (MANIFEST.csv is the ground truth).

For each library and file: is the title and the first author's family name in the text of pages
1-2 (case, accents and punctuation ignored, ligatures as the library gives them), how long the
whole file takes, and what the hard cases do. Run: python tests/bench/fulltext_bench.py
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


def main() -> int:
    if not FOLDER.is_dir():
        print(f"no {FOLDER}")
        return 1
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
