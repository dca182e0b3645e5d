"""Cited references matched to the records of a review: DOI first, then database identifiers
(OpenAlex W-ids, Lens ids, WoS UT, Scopus EID), then fuzzy matching on first author + year +
title or source with rapidfuzz. Every match records the rule that made it and its score.

Pure: records in, matches out; no database, no files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
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
    venues: tuple[str, ...] = ()  # source, publisher, a thesis's school or note: folded
    volume: str = ""  # digits only
    page: str = ""  # the first page, digits only


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
    from_fulltext: bool = False  # read from the attached full text: the export had none


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
    venues: dict[str, None] = {}
    for record in records:
        for value in (
            record.source_title,
            record.publisher,
            *(record.raw.get(k) for k in ("school", "institution", "note", "howpublished")),
        ):
            if isinstance(value, str) and fold(value):
                venues[fold(value)] = None
    return Target(
        record_id,
        doi,
        tuple(ids),
        family,
        year,
        fold(main.title or ""),
        fold(source),
        tuple(venues),
        next((v for r in records if (v := _digits(r.volume))), ""),
        next((v for r in records if (v := _digits(r.pages.split("-")[0])) and len(v) < 6), ""),
    )


def _digits(value: str) -> str:
    found = re.match(r"\D*(\d+)", value or "")
    return found.group(1).lstrip("0") if found else ""


_VOLUME = re.compile(r",\s*V(\d+)\b")
_PAGE = re.compile(r"(?:,\s*P|\bpp?\.\s*)(\d{1,5})\b")


def _venue_in(venue: str, reference: str) -> bool:
    """A source named in a reference, in full or abbreviated (`N. Engl. J. Med.`)."""
    folded = fold(reference)
    if len(venue) >= 5 and fuzz.partial_ratio(venue, folded) >= 95:
        return True
    parts = (" ".join(w for w in fold(p).split() if not w.isdigit()) for p in reference.split(","))
    return any(part and _abbreviation_score(part, venue) >= 100 for part in parts)


def _conflicts(reference: str, target: Target) -> bool:
    """The reference names another volume or first page than the target (when both give one)."""
    volume = _VOLUME.search(reference)
    if volume and target.volume and volume.group(1).lstrip("0") != target.volume:
        return True
    page = _PAGE.search(reference)
    return bool(page and target.page and page.group(1).lstrip("0") != target.page)


def _author_key(text: str) -> str:
    letters = re.sub(r"[^a-z]", "", text)
    return letters[:4]


def _reference_author(reference: str) -> str:
    """The first author of a reference, folded, initials dropped: `Hung K, 2022, ...` -> hung,
    `Az Zahra S., ...` -> az zahra, `Gefen D., Karahanna E., ...` -> gefen."""
    head = reference.split(",", 1)[0]
    tokens = head.replace(".", ". ").split()
    kept: list[str] = []
    for index, token in enumerate(tokens):
        bare = token.rstrip(".")
        initials = token.endswith(".") or (bare.isupper() and len(bare) <= 3 and index > 0)
        if initials and kept:
            break
        kept.append(bare)
    return fold(" ".join(kept))


@functools.lru_cache(maxsize=1 << 16)  # a few thousand sources, compared again and again
def _abbreviation_score(abbreviation: str, full: str) -> float:
    """How well a WoS-style abbreviated or truncated source (`J ELECT COMMER RES`) fits a full
    one (`journal of electronic commerce research`): each abbreviated word must start the next
    significant word of the full name (or two joined: `EBUSINESS` = `e business`); words of
    the full name skipped or left over lower the score, unless the abbreviation is cut at
    WoS's 20 characters (`MEMBANGUN KETERLIBAT`)."""
    short = [p for p in abbreviation.split() if p not in _STOP]
    words = [w for w in full.split() if w not in _STOP]
    if not short or not words:
        return 0.0
    matched = skipped = position = 0
    for part in short:
        start = position
        step = 0
        while position < len(words):
            step = next(
                (
                    n
                    for n in (1, 2, 3)
                    if position + n <= len(words)
                    and "".join(words[position : position + n]).startswith(part)
                    and (n == 1 or len(part) > len(words[position]))
                ),
                0,
            )
            if step:
                break
            position += 1
        if not step:
            position = start  # not found: an unmatched abbreviation word
            continue
        matched += 1
        skipped += position - start
        position += step
    left = len(words) - position
    truncated = len(abbreviation) >= 18
    return 100.0 * matched / (len(short) + skipped + (0 if truncated else left))


# A title of at least LONG_TITLE characters may be matched whatever the years say, when the
# reference holds it almost whole (partial ratio >= EXACT_TITLE); pieces of CHUNK characters
# find the few titles that can be (`_Family.whole_titles`), instead of comparing every title.
LONG_TITLE = 30
EXACT_TITLE = 97.0
CHUNK = 8


def title_pieces(text: str) -> tuple[tuple[str, ...], int]:
    """The disjoint CHUNK-character pieces of a text, and how many of them a longer text must
    hold unchanged for partial_ratio of the two to reach EXACT_TITLE.

    That ratio allows at most 0.06 * len(text) characters inserted or deleted in the best
    window of the longer text (a substitution is one of each), and each of them breaks at most
    one piece: the others are there as they are (one more spare for rounding)."""
    pieces = tuple(text[i : i + CHUNK] for i in range(0, len(text) - CHUNK + 1, CHUNK))
    return pieces, len(pieces) - int((100 - EXACT_TITLE) / 50 * len(text)) - 1


class _Family:
    """The targets whose first author has one family name (spaces removed): by year, and the
    long titles indexed by their pieces."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self.by_year: dict[int, list[Target]] = {}
        for target in targets:
            if target.year is not None:  # no year: never matched by author and year
                self.by_year.setdefault(target.year, []).append(target)
        self.long = [t for t in targets if t.year is not None and len(t.title) >= LONG_TITLE]
        self.needed: list[int] = []
        self.pieces: dict[str, list[int]] = {}  # a piece -> the long titles that have it
        for index, target in enumerate(self.long):
            pieces, needed = title_pieces(target.title)
            self.needed.append(needed)
            for piece in pieces:
                self.pieces.setdefault(piece, []).append(index)

    def whole_titles(self, folded: str) -> list[Target]:
        """The long titles a reference may hold whole: shorter than it, with enough of their
        pieces in it for partial_ratio(title, folded) to reach EXACT_TITLE (title_pieces)."""
        counts: dict[int, int] = {}
        for gram in {folded[i : i + CHUNK] for i in range(len(folded) - CHUNK + 1)}:
            for index in self.pieces.get(gram, ()):
                counts[index] = counts.get(index, 0) + 1
        return [
            self.long[i]
            for i, found in counts.items()
            if found >= self.needed[i] and len(self.long[i].title) < len(folded)
        ]


class Matcher:
    """Matches references against a fixed set of targets.

    A reference string always gets the same answer, so answers are kept: a set of 100,000
    records cites the same works in the same words many times over."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = {t.id: t for t in targets}
        self.by_doi: dict[str, int] = {}
        self.by_id: dict[str, int] = {}
        self._answers: dict[str, tuple[int, str, float] | None] = {}
        grouped: dict[str, dict[str, list[Target]]] = {}
        for target in self.targets.values():
            if target.doi:
                self.by_doi.setdefault(target.doi, target.id)
            for key in target.ids:
                self.by_id.setdefault(key, target.id)
            if target.family:
                families = grouped.setdefault(_author_key(target.family), {})
                families.setdefault(target.family.replace(" ", ""), []).append(target)
        # first four letters of the family name -> family name -> its targets
        self.by_author = {
            key: {family: _Family(targets) for family, targets in families.items()}
            for key, families in grouped.items()
        }

    def match_reference(self, reference: str) -> tuple[int, str, float] | None:
        if reference in self._answers:
            return self._answers[reference]
        answer = self._match(reference)
        self._answers[reference] = answer
        return answer

    def _match(self, reference: str) -> tuple[int, str, float] | None:
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
        # the year is the first field after the author in WoS's "Hung K, 2022, J ADVERTISING",
        # the last one in Scopus's and APA-like references "... (2024)"
        wos_like = bool(re.match(r"^[^,]+,\s*(19|20)\d\d\s*,", reference))
        year = years[0] if wos_like else years[-1]
        parts = [fold(p) for p in reference.split(",")]
        venue = parts[2] if wos_like and len(parts) > 2 else ""
        bare = author.replace(" ", "")
        dois = find_dois(reference)
        scored: list[tuple[float, str, int]] = []
        for family, group in self.by_author.get(_author_key(author), {}).items():
            name = 100.0 if family == bare else fuzz.ratio(bare, family)
            shorter = min(len(bare), len(family))
            if name < 85 and not (
                shorter >= 6 and (bare.startswith(family) or family.startswith(bare))
            ):
                continue
            penalty = (100.0 - name) / 2 if name < 100 else 0.0
            for gap in (0, 1):
                for target_year in {year - gap, year + gap}:
                    for target in group.by_year.get(target_year, ()):
                        if dois and target.doi and target.doi not in dois:
                            continue  # the reference's DOI is another work's
                        found = self._near(reference, folded, venue, dois, target, gap, penalty)
                        if found is not None:
                            scored.append(found)
            # the year wrong in the citing paper: a long title all there in the reference
            for target in group.whole_titles(folded):
                if abs(target.year - year) <= 1:  # type: ignore[operator]
                    continue  # compared with the nearby years
                if dois and target.doi and target.doi not in dois:
                    continue
                title = fuzz.partial_ratio(target.title, folded, score_cutoff=EXACT_TITLE)
                if title >= EXACT_TITLE:
                    scored.append((title - penalty - 10, "fuzzy:title", target.id))
        if not scored:
            return None
        scored.sort(key=lambda item: -item[0])
        if len(scored) > 1 and scored[1][0] == scored[0][0] and scored[1][2] != scored[0][2]:
            return None  # two records fit equally well: no link rather than a wrong one
        score, rule, target_id = scored[0]
        return target_id, rule, round(score / 100.0, 3)

    @staticmethod
    def _near(
        reference: str,
        folded: str,
        venue: str,
        dois: Sequence[str],
        target: Target,
        gap: int,
        penalty: float,
    ) -> tuple[float, str, int] | None:
        """A target of the reference's year (gap 0) or a year off (gap 1): by title, or (same
        year only) by source, or by volume, first page and source."""
        # below 60 the title counts for nothing (the source rule wants 60): not computed
        title = (
            fuzz.partial_ratio(target.title, folded, score_cutoff=60 if gap == 0 else FUZZY_TITLE)
            if target.title and len(target.title) >= 12
            else 0.0
        )
        # the title inside the reference: the year may be a year off (online first)
        if title >= FUZZY_TITLE:
            return title - penalty - (0 if gap == 0 else 5), "fuzzy:title", target.id
        if gap or _conflicts(reference, target):
            return None
        best = 0.0
        if venue:
            for candidate in (*target.venues, target.title):
                if candidate:
                    best = max(best, _abbreviation_score(venue, candidate))
        else:
            # a full source name inside a Scopus/APA reference whose title differs
            for candidate in target.venues:
                if (
                    len(candidate) >= 8
                    and title >= 60
                    and fuzz.partial_ratio(candidate, folded) >= 95
                ):
                    best = max(best, min(FUZZY_SOURCE + (title - 60) / 4, 100.0))
        # an old Scopus reference without title, "Warburg, O., (1956) Science, 123, p. 309":
        # author, year, volume and first page all agree, and the source is there
        page = _PAGE.search(reference)
        if (
            best < FUZZY_SOURCE
            and not venue
            and target.volume
            and target.page
            and page
            and page.group(1).lstrip("0") == target.page
            and re.search(rf"(?<![\d.]){target.volume}(?![\d.])", reference)
            and any(_venue_in(v, reference) for v in target.venues)
        ):
            best = 95.0
        # a reference with a DOI none of the records has, matched by its source alone,
        # is another work of that author in that journal unless volume or page agree
        if best >= FUZZY_SOURCE and dois and not target.doi:
            volume = _VOLUME.search(reference)
            page = _PAGE.search(reference)
            if not ((volume and target.volume) or (page and target.page)):
                return None
        if best >= FUZZY_SOURCE:
            return best - penalty, "fuzzy:source", target.id
        return None


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
            if item.from_fulltext:
                rule += " (full text)"
            old = best.get(cited)
            if old is None or (old.rule.startswith("fuzzy") and not rule.startswith("fuzzy")):
                best[cited] = Match(item.id, cited, rule, score, reference)
        found.extend(best[k] for k in sorted(best))
    return found


def with_fulltext_references(
    citing: list[Citing],
    targets: list[Target],
    clusters: Mapping[int, Sequence[Record]],
    fulltext: Mapping[int, list[str]],
) -> tuple[list[Citing], list[Target]]:
    """The studies whose export carried no cited references (many CSV exports do not) cite
    what the reference list of their attached full text holds; those citations are marked
    "(full text)" in their rule."""
    have = {item.id for item in citing}
    added = [
        Citing(record_id, list(fulltext[record_id]), from_fulltext=True)
        for record_id in clusters
        if record_id not in have and fulltext.get(record_id)
    ]
    if added and not targets:
        targets = [target_of(record_id, records) for record_id, records in clusters.items()]
    return [*citing, *added], targets


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
