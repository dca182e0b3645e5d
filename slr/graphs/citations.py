"""Cited references matched to the records of a review: DOI first, then database identifiers
(OpenAlex W-ids, Lens ids, WoS UT, Scopus EID), then fuzzy matching on first author + year +
title or source with rapidfuzz. Every match records the rule that made it and its score.

Pure: records in, matches out; no database, no files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from slr.models import Record
from slr.normalize.ids import canonical_doi, find_dois
from slr.normalize.text import fold

_YEAR = re.compile(r"(?<![\d.])(19\d\d|20\d\d)(?![\d.])")
_OPENALEX = re.compile(r"\b(W\d{4,})\b")
_LENS = re.compile(r"\b(\d{3}-\d{3}-\d{3}-\d{3}-\d{3})\b")
_WOS = re.compile(r"\b(?:WOS|UT):?\s*(\d{15})\b", re.IGNORECASE)
_EID = re.compile(r"\b(2-s2\.0-\d{8,})\b")
_STOP = {"of", "and", "the", "in", "on", "for", "a", "an", "de", "dan", "&", "und", "la", "le"}

FUZZY_TITLE = 90.0  # rapidfuzz partial ratio of the record's title inside the reference
FUZZY_SOURCE = 85.0  # abbreviation / partial ratio of the record's source in the reference


@dataclass(frozen=True, slots=True)
class Target:
    """One record that references can point at (a review record, duplicates merged)."""

    id: int
    doi: str = ""
    ids: tuple[str, ...] = ()  # openalex W-ids, lens ids, WoS UT digits, Scopus EIDs
    family: str = ""  # first author's family name, folded
    year: int | None = None
    title: str = ""  # folded
    source: str = ""  # folded


@dataclass(frozen=True, slots=True)
class Match:
    citing: int
    cited: int
    rule: str  # doi | openalex | lens | wos | eid | fuzzy:title | fuzzy:source
    score: float  # 1.0 for identifiers, the rapidfuzz score / 100 for fuzzy ones
    reference: str


@dataclass(slots=True)
class Citing:
    """One review record's reference list, gathered over its duplicates."""

    id: int
    references: list[str] = field(default_factory=list)
    dois: list[str] = field(default_factory=list)


def _norm_id(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "wos":
        digits = re.sub(r"\D", "", value)
        return f"wos:{digits}" if digits else ""
    if kind == "openalex":
        found = _OPENALEX.search(value.upper())
        return f"openalex:{found.group(1)}" if found else ""
    return f"{kind}:{value.lower()}" if value else ""


def target_of(record_id: int, records: Sequence[Record]) -> Target:
    """A target from a record and its duplicates (the first non-empty value of each field)."""
    doi = next((canonical_doi(r.doi) for r in records if canonical_doi(r.doi)), "")
    ids: dict[str, None] = {}
    for record in records:
        for kind in ("openalex", "lens", "wos", "eid"):
            if record.ids.get(kind):
                key = _norm_id(kind, record.ids[kind])
                if key:
                    ids[key] = None
    main = records[0]
    first = next((r.authors[0] for r in records if r.authors), None)
    family = fold(first.family or first.literal) if first else ""
    year = next((r.year for r in records if r.year), None)
    source = next((r.source_title for r in records if r.source_title), "")
    return Target(
        record_id, doi, tuple(ids), family, year, fold(main.title or ""), fold(source)
    )


def _author_key(text: str) -> str:
    letters = re.sub(r"[^a-z]", "", text)
    return letters[:4]


def _reference_author(reference: str) -> str:
    """The first author of a reference, folded, initials dropped: `Hung K, 2022, ...` -> hung,
    `Az Zahra S., ...` -> az zahra, `Gefen D., Karahanna E., ...` -> gefen."""
    head = reference.split(",", 1)[0]
    tokens = head.replace(".", ". ").split()
    kept = []
    for index, token in enumerate(tokens):
        bare = token.rstrip(".")
        initials = token.endswith(".") or (bare.isupper() and len(bare) <= 3 and index > 0)
        if initials and kept:
            break
        kept.append(bare)
    return fold(" ".join(kept))


def _abbreviation_score(abbreviation: str, full: str) -> float:
    """How well a WoS-style abbreviated or truncated source (`J ELECT COMMER RES`) fits a full
    one (`journal of electronic commerce research`): each abbreviated word must start the next
    significant word of the full name; 100 when all do and nothing significant is left over."""
    short = abbreviation.split()
    words = [w for w in full.split() if w not in _STOP]
    if not short or not words:
        return 0.0
    matched = 0
    position = 0
    for part in short:
        while position < len(words) and not words[position].startswith(part):
            if part in _STOP:
                break
            position += 1
        if part in _STOP:
            continue
        if position == len(words):
            return 100.0 * matched / max(len(short), len(words)) * 0.8
        matched += 1
        position += 1
    significant = [p for p in short if p not in _STOP]
    left = len(words) - position
    # a 20-character truncation (`MEMBANGUN KETERLIBAT`) leaves words over: allowed when the
    # abbreviation ends near the 20-character limit WoS cuts at
    truncated = len(abbreviation) >= 18
    if left and not truncated:
        return 100.0 * matched / (len(significant) + left)
    return 100.0 * matched / max(len(significant), 1)


class Matcher:
    """Matches references against a fixed set of targets."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = {t.id: t for t in targets}
        self.by_doi: dict[str, int] = {}
        self.by_id: dict[str, int] = {}
        self.by_author: dict[str, list[Target]] = {}
        for target in self.targets.values():
            if target.doi:
                self.by_doi.setdefault(target.doi, target.id)
            for key in target.ids:
                self.by_id.setdefault(key, target.id)
            if target.family:
                self.by_author.setdefault(_author_key(target.family), []).append(target)

    def match_reference(self, reference: str) -> tuple[int, str, float] | None:
        for doi in find_dois(reference):
            if doi in self.by_doi:
                return self.by_doi[doi], "doi", 1.0
        for kind, pattern in (
            ("openalex", _OPENALEX),
            ("lens", _LENS),
            ("wos", _WOS),
            ("eid", _EID),
        ):
            for found in pattern.findall(reference):
                key = _norm_id(kind, found)
                if key in self.by_id:
                    return self.by_id[key], kind, 1.0
        return self._fuzzy(reference)

    def _fuzzy(self, reference: str) -> tuple[int, str, float] | None:
        author = _reference_author(reference)
        if not author:
            return None
        years = [int(y) for y in _YEAR.findall(reference)]
        if not years:
            return None
        folded = fold(reference)
        # the year is the last one in Scopus/APA-like references "(2024)" and the first in WoS's
        wos_like = bool(re.match(r"^[^,]+,\s*(19|20)\d\d\s*,", reference))
        year = years[0] if wos_like else years[-1]
        scored: list[tuple[float, str, int]] = []
        for target in self.by_author.get(_author_key(author), ()):
            if target.year is None:
                continue
            name = fuzz.ratio(author.replace(" ", ""), target.family.replace(" ", ""))
            if name < 85 and not author.replace(" ", "").startswith(
                target.family.replace(" ", "")
            ):
                continue
            title = (
                fuzz.partial_ratio(target.title, folded)
                if target.title and len(target.title) >= 12
                else 0.0
            )
            if title >= FUZZY_TITLE and abs(target.year - year) <= 1:
                penalty = 0 if target.year == year else 5
                scored.append((title - penalty, "fuzzy:title", target.id))
                continue
            if target.year != year or not wos_like:
                continue
            parts = [fold(p) for p in reference.split(",")]
            venue = parts[2] if len(parts) > 2 else ""
            if not venue:
                continue
            best = 0.0
            for candidate in (target.source, target.title):
                if candidate:
                    best = max(best, _abbreviation_score(venue, candidate))
            if best >= FUZZY_SOURCE:
                scored.append((best, "fuzzy:source", target.id))
        if not scored:
            return None
        scored.sort(key=lambda item: -item[0])
        if len(scored) > 1 and scored[1][0] == scored[0][0] and scored[1][2] != scored[0][2]:
            return None  # two records fit equally well: no link rather than a wrong one
        score, rule, target_id = scored[0]
        return target_id, rule, round(score / 100.0, 3)


def match_citations(citing: Iterable[Citing], targets: Iterable[Target]) -> list[Match]:
    """Every citation from a citing record to a target, one per (citing, cited) pair: the first
    reference that matched (identifiers beat fuzzy matches), never a record citing itself."""
    matcher = Matcher(targets)
    found: list[Match] = []
    for item in citing:
        best: dict[int, Match] = {}
        references = list(item.references)
        in_text = {d for r in references for d in find_dois(r)}
        references += [f"DOI {d}" for d in item.dois if d not in in_text]
        for reference in references:
            result = matcher.match_reference(reference)
            if result is None:
                continue
            cited, rule, score = result
            if cited == item.id:
                continue
            old = best.get(cited)
            if old is None or (old.rule.startswith("fuzzy") and not rule.startswith("fuzzy")):
                best[cited] = Match(item.id, cited, rule, score, reference)
        found.extend(best[k] for k in sorted(best))
    return found


def reference_key(reference: str, matched: int | None) -> str:
    """A key that identifies a cited work across reference lists (for bibliographic coupling):
    the matched record, else the DOI, else first author + year + first title/source words."""
    if matched is not None:
        return f"record:{matched}"
    dois = find_dois(reference)
    if dois:
        return f"doi:{dois[0]}"
    for pattern in (_OPENALEX, _LENS):
        found = pattern.search(reference)
        if found:
            return f"id:{found.group(1)}"
    years = _YEAR.findall(reference)
    author = _reference_author(reference)
    parts = [fold(p) for p in reference.split(",")]
    rest = " ".join(p for p in parts[1:] if not _YEAR.fullmatch(p))
    return f"ref:{author}|{years[0] if years else ''}|{' '.join(rest.split()[:4])}"
