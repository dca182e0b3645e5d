"""Hard negatives: named rules that keep two look-alike records apart, whatever their scores."""

from __future__ import annotations

from collections.abc import Callable

from slr.dedup.keys import Features, journal_match

Rule = Callable[[Features, Features], bool]


def notice_vs_original(x: Features, y: Features) -> bool:
    """An erratum, correction, retraction, reply or comment is not the work it is about."""
    return x.notice != y.notice


def part_differs(x: Features, y: Features) -> bool:
    """Part I and Part II (or 1 and 2) of a series are two works."""
    return x.part is not None and y.part is not None and x.part != y.part


def preprint_vs_published(x: Features, y: Features) -> bool:
    """A preprint and its published version: kept apart and linked as versions by default."""
    return x.preprint != y.preprint


def conference_vs_journal(x: Features, y: Features) -> bool:
    """A conference paper or abstract and a journal article of the same title are two reports."""
    if x.conference == y.conference:
        return False
    # the same item that two databases typed differently: same year and journal, no page conflict
    if x.year != y.year or not _same_journal(x.journal, y.journal):
        return True
    return bool(x.first_page and y.first_page and x.first_page != y.first_page)


def _same_journal(x: str, y: str) -> bool:
    return not x or not y or journal_match(x, y)


def _same_page_and_year(x: Features, y: Features) -> bool:
    """Same first page in the same year: a volume or issue that differs is an export's slip."""
    return bool(x.first_page) and x.first_page == y.first_page and x.year == y.year


def language_differs(x: Features, y: Features) -> bool:
    """The same title in two languages: a translation is a separate record."""
    if x.script and y.script and x.script != y.script:
        return True
    return bool(x.language and y.language and x.language != y.language and x.title != y.title)


def volume_differs(x: Features, y: Features) -> bool:
    """Same title, different volume: a reprint, a series or an annual column."""
    return bool(x.volume and y.volume and x.volume != y.volume) and not _same_page_and_year(x, y)


def issue_differs(x: Features, y: Features) -> bool:
    """Same title and volume, different issue: a column that recurs in every issue."""
    return bool(x.issue and y.issue and x.issue != y.issue) and not _same_page_and_year(x, y)


def pages_differ(x: Features, y: Features) -> bool:
    """Same title, pages that cannot be the same item's: another item of the same name.

    Pages are compared as ranges of one kind: an article number (e12724), a supplement page (S3)
    and a plain page are not comparable, and a range that starts at 1 is a PDF's own pagination.
    """
    if x.page_kind != y.page_kind:
        return False
    ranges = []
    for f in (x, y):
        first, last = f.first_page or f.last_page, f.last_page or f.first_page
        if not first or first == "1":
            return False
        low, high = int(first), int(last)
        ranges.append((low, max(low, high)))
    (a_low, a_high), (b_low, b_high) = ranges
    return a_high < b_low or b_high < a_low


def doi_differs(x: Features, y: Features) -> bool:
    """Two different DOIs name two registered works (the 2021 and 2022 minitrack introductions)."""
    return bool(x.doi and y.doi and x.doi != y.doi)


def year_differs(x: Features, y: Features) -> bool:
    """More than a year apart: not the online and print dates of one article."""
    return x.year is not None and y.year is not None and abs(x.year - y.year) > 1


# Checked in this order; the first that holds names the reason a pair is kept apart.
HARD_NEGATIVES: tuple[tuple[str, Rule], ...] = (
    ("notice_vs_original", notice_vs_original),
    ("part_differs", part_differs),
    ("preprint_vs_published", preprint_vs_published),
    ("language_differs", language_differs),
    ("doi_differs", doi_differs),
    ("conference_vs_journal", conference_vs_journal),
    ("year_differs", year_differs),
    ("volume_differs", volume_differs),
    ("issue_differs", issue_differs),
    ("pages_differ", pages_differ),
)
# Rules that an exact shared identifier (DOI, PMID, database id) overrides.
OVERRIDDEN_BY_IDENTIFIER = frozenset(
    {
        "conference_vs_journal",
        "year_differs",
        "volume_differs",
        "issue_differs",
        "pages_differ",
        "language_differs",
    }
)


def hard_negative(x: Features, y: Features, skip: frozenset[str] = frozenset()) -> str:
    """The name of the first rule that keeps x and y apart, or ''."""
    for name, rule in HARD_NEGATIVES:
        if name not in skip and rule(x, y):
            return name
    return ""
