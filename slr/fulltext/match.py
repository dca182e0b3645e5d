"""Which record a full-text file belongs to: the DOI printed in it, else its title and first
author on its first two pages, else its file name. Pure: the caller gives the records.

Never a guess: a file that fits two records equally well is ambiguous and left to a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz

from slr.fulltext.references import reference_section_start
from slr.normalize.ids import canonical_doi
from slr.normalize.text import fold

_DOI = re.compile(r"10\.\d{3,9}/[^\s\"'<>,;{}\]\[]+", re.IGNORECASE)
_NEXT_TOKEN = re.compile(r"\s*([^\s\"'<>,;{}\]\[]+)")
# A BMC-style note after the reference list gives the article's own DOI: "Cite this article as".
_CITE_THIS = re.compile(r"cite this article", re.IGNORECASE)
TITLE_MIN = 90  # rapidfuzz partial_ratio of the folded title within the folded first pages
TITLE_MARGIN = 3  # a second record this close to the best makes the file ambiguous


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record a file may belong to, as matching needs it."""

    record_id: int
    title: str
    first_author: str  # family name
    year: int | None
    doi: str  # canonical, or ""


@dataclass(slots=True)
class Match:
    """How a file was matched: `record_id` with `by` (doi, title, file name), or none with the
    `candidates` that fitted equally (ambiguous) or none at all (unmatched)."""

    file: str
    record_id: int | None = None
    by: str = ""
    evidence: str = ""
    candidates: list[int] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return self.record_id is None and len(self.candidates) > 1


def own_dois(pages: Sequence[str]) -> list[tuple[str, int]]:
    """(DOI, page) of the DOIs printed as the article's own: anywhere before its reference list,
    and after it only beside a "Cite this article as" note. A DOI cut by a line break is also tried
    joined with the next line's first word ("10.1371/journal." + "pone.0197919")."""
    start = reference_section_start(pages)
    found: list[tuple[str, int]] = []
    for number, page in enumerate(pages, start=1):
        for match in _DOI.finditer(page):
            in_references = start is not None and (number, match.start()) >= start
            around = page[max(0, match.start() - 300) : match.end() + 100]
            if in_references and not _CITE_THIS.search(around):
                continue
            doi = canonical_doi(match.group())
            if doi:
                found.append((doi, number))
            rest = page[match.end() :]
            if rest[:1].isspace() and match.group()[-1] in "./-_":
                following = _NEXT_TOKEN.match(rest)
                if following:
                    joined = canonical_doi(match.group() + following.group(1))
                    if joined:
                        found.append((joined, number))
    return found


def _shorter_inside(title: str, other: str) -> bool:
    return len(title) < len(other) and title in other


def _words(text: str) -> str:
    return f" {fold(text)} "


def match_file(name: str, pages: Sequence[str], candidates: Iterable[Candidate]) -> Match:
    """The record of the file NAME with the text PAGES (empty for a file with no text layer)."""
    records = list(candidates)
    by_doi: dict[str, list[Candidate]] = {}
    for record in records:
        if record.doi:
            by_doi.setdefault(record.doi, []).append(record)
    head = _words(" ".join(pages[:2]))
    # 1. the DOI printed as the article's own; on page 1 before any other page. A DOI further
    # on (a BMC "Cite this article as" note, or a DOI the text mentions) counts only when the
    # record's first author is on the first two pages too.
    hits: dict[int, tuple[int, str]] = {}
    for doi, page in own_dois(pages):
        for record in by_doi.get(doi, []):
            if page == 1 or f" {fold(record.first_author)} " in head:
                hits.setdefault(record.record_id, (page, doi))
    if hits:
        first_page = min(page for page, _ in hits.values())
        best = sorted(rid for rid, (page, _) in hits.items() if page == first_page)
        if len(best) == 1:
            page, doi = hits[best[0]]
            return Match(name, best[0], "doi", f"DOI {doi} on page {page}")
        return Match(name, None, "", "same DOI printed for several records", best)
    # 2. the title and the first author on the first two pages
    scored: list[tuple[float, int, Candidate]] = []
    for record in records:
        author = fold(record.first_author)
        title = fold(record.title)
        if not author or not title or f" {author} " not in head:
            continue
        score = fuzz.partial_ratio(title, head, score_cutoff=TITLE_MIN)
        if score:
            scored.append((score, len(title), record))
    if scored:
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        score, _, best_record = scored[0]
        best_title = fold(best_record.title)
        close = [
            record
            for other_score, _, record in scored[1:]
            if other_score > score - TITLE_MARGIN
            # a shorter title inside the one found whole is not a rival ("Pandemic programming")
            and not (score == 100 and _shorter_inside(fold(record.title), best_title))
        ]
        if not close:
            return Match(
                name,
                best_record.record_id,
                "title",
                f"title {score:.0f}%, first author {best_record.first_author}",
            )
        return Match(
            name,
            None,
            "",
            "title and first author fit several records",
            [best_record.record_id, *(record.record_id for record in close)],
        )
    # 3. the file name: the first author's family name and the year (bogner2019-peerjcs.pdf)
    stem = fold(Path(name).stem).replace(" ", "")
    named = [
        record
        for record in records
        if record.first_author
        and record.year
        and fold(record.first_author).replace(" ", "") in stem
        and str(record.year) in stem
    ]
    if len(named) == 1:
        record = named[0]
        return Match(
            name, record.record_id, "file name", f"{record.first_author} {record.year} in the name"
        )
    if named:
        return Match(name, None, "", "file name fits several records", [r.record_id for r in named])
    return Match(name)
