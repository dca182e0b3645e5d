"""Blocking, pair scoring and clustering: records in, pairs and clusters out (no I/O)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from slr.dedup.keys import Features, compact, journal_match
from slr.dedup.rules import OVERRIDDEN_BY_IDENTIFIER, hard_negative

DUPLICATE = "duplicate"
UNCERTAIN = "uncertain"
DISTINCT = "distinct"

BLOCK_LIMIT = 40  # larger blocks are compared by sorted neighbourhood only
WINDOW = 8  # neighbours each record meets in a sorted list
SHORT_TITLE = 30  # titles shorter than this ("Editorial") need every other field to agree


@dataclass(slots=True)
class Settings:
    merge_preprints: bool = False


@dataclass(slots=True)
class Pair:
    a: int
    b: int
    outcome: str
    rule: str
    score: float


@dataclass(slots=True)
class Cluster:
    kept: int
    members: list[int]
    rule: dict[int, str] = field(default_factory=dict)  # member -> rule that linked it
    score: dict[int, float] = field(default_factory=dict)


@dataclass(slots=True)
class Result:
    pairs: list[Pair]
    clusters: list[Cluster]
    candidates: int = 0


# -- blocking -----------------------------------------------------------------------------


def _blocks(items: Sequence[Features]) -> Iterable[list[int]]:
    """Groups of record positions that share a key; several keys, so no single one loses recall."""
    keys: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, f in enumerate(items):
        title = compact(f.title)
        if f.doi:
            keys["doi", f.doi].append(i)
        if f.pmid:
            keys["pmid", f.pmid].append(i)
        for name, value in f.ids.items():
            keys[f"id:{name}", value].append(i)
        if len(title) >= 12:
            keys["t<", title[:18]].append(i)
            keys["t>", title[-18:]].append(i)
            main = compact(f.main_title)
            if main != title and len(main) >= 12:
                keys["m>", main[-14:]].append(i)
        if f.first_author and f.year:
            keys["ay", f"{f.first_author}|{f.year}"].append(i)
        if f.first_page and (f.volume or f.year):
            keys["vp", f"{f.volume or f.year}|{f.first_page}"].append(i)
    for members in keys.values():
        if len(members) > 1:
            yield members


def _sorted_keys(f: Features) -> tuple[str, str]:
    title = compact(f.title)
    return title, title[::-1]


def candidate_pairs(items: Sequence[Features]) -> set[tuple[int, int]]:
    """Pairs of positions worth scoring; never all pairs."""
    pairs: set[tuple[int, int]] = set()
    add = pairs.add
    big: list[list[int]] = []
    for members in _blocks(items):
        if len(members) > BLOCK_LIMIT:
            big.append(members)
            continue
        for k, i in enumerate(members):
            for j in members[k + 1 :]:
                add((i, j) if i < j else (j, i))
    for members in big:
        _neighbours(members, lambda i: (compact(items[i].title), items[i].authors), add)
    everyone = list(range(len(items)))
    keyed = [_sorted_keys(f) for f in items]
    for side in (0, 1):
        _neighbours(everyone, lambda i, side=side: keyed[i][side], add)
    return pairs


def _neighbours(members: list[int], key, add) -> None:  # type: ignore[no-untyped-def]
    ordered = sorted(members, key=key)
    for k, i in enumerate(ordered):
        for j in ordered[k + 1 : k + 1 + WINDOW]:
            add((i, j) if i < j else (j, i))


# -- scoring ------------------------------------------------------------------------------


def title_similarity(x: Features, y: Features) -> float:
    if not x.title or not y.title:
        return 0.0
    if x.title == y.title:
        return 100.0
    sim = fuzz.ratio(x.title, y.title)
    if x.notice_core and y.notice_core:
        # two notices about one article: 'Erratum: Title (The J of P' and 'Title (vol 1, pg 3)'
        sim = max(sim, fuzz.ratio(x.notice_core, y.notice_core))
    if x.alt_title or y.alt_title:
        # 'English title [Original title]' against the original
        for one in (x.title, x.alt_title):
            for other in (y.title, y.alt_title):
                if one and other:
                    sim = max(sim, fuzz.ratio(one, other))
    # one database dropped the subtitle
    if sim < 95 and (
        x.main_title in (y.title, y.main_title) or y.main_title in (x.title, x.main_title)
    ):
        shorter = min(len(x.main_title), len(y.main_title))
        same_pages = bool(x.first_page) and (x.first_page, x.last_page) == (
            y.first_page,
            y.last_page,
        )
        # a long main title alone, or a shorter one at the same page range
        if shorter >= 30 or (shorter >= 20 and same_pages):
            sim = 95.0
    return sim


def author_similarity(x: Features, y: Features) -> float:
    """0..100: surname lists alike, or the surnames of one among the other's name parts."""
    sim = max(
        fuzz.token_set_ratio(x.authors, y.authors),
        fuzz.token_set_ratio(x.authors_compact, y.authors_compact),
    )
    if sim >= 95:
        return sim
    for one, other in ((x, y), (y, x)):
        surnames = one.authors.split(" ")
        if surnames and other.author_tokens:
            found = sum(1 for name in surnames if name in other.author_tokens)
            sim = max(sim, 100.0 * found / len(surnames))
    return sim


def _skipped_rules(x: Features, y: Features, settings: Settings) -> frozenset[str]:
    if not settings.merge_preprints:
        return frozenset()
    if x.preprint != y.preprint:
        # a preprint server registers its own DOI: that the DOIs differ proves nothing
        return frozenset({"preprint_vs_published", "doi_differs"})
    return frozenset({"preprint_vs_published"})


def _contained(x: str, y: str) -> bool:
    shorter, longer = sorted((x, y), key=len)
    return len(shorter) >= 25 and shorter in longer


def _same_place(x: Features, y: Features) -> bool:
    """Same authors, year, journal, volume and full page range: one article, whatever its title.

    Only a real range counts (two pages or more, not starting at 1, which is a PDF's own
    pagination), so two one-page abstracts of one supplement page stay apart; two issues of one
    volume that each print the same page numbers are two places.
    """
    if not (x.title and y.title and x.first_page and x.last_page and x.volume):
        return False
    if not (x.authors and y.authors) or (x.issue and y.issue and x.issue != y.issue):
        return False
    if x.first_page == "1" or x.last_page == x.first_page or x.corporate or y.corporate:
        return False
    if (x.first_page, x.last_page, x.volume, x.year, x.page_kind) != (
        y.first_page,
        y.last_page,
        y.volume,
        y.year,
        y.page_kind,
    ):
        return False
    if not journal_match(x.journal, y.journal):
        return False
    first = max(
        fuzz.ratio(x.first_author, y.first_author), fuzz.ratio(x.first_surname, y.first_surname)
    )
    return first >= 90 and author_similarity(x, y) >= 95


def compare(x: Features, y: Features, settings: Settings | None = None) -> Pair:
    """Duplicate, uncertain or distinct, with the rule that decided it and a score in 0..1."""
    settings = settings or Settings()
    title = title_similarity(x, y)
    shared_id = ""
    if x.doi and x.doi == y.doi:
        shared_id = "doi"
    elif x.pmid and x.pmid == y.pmid:
        shared_id = "pmid"
    else:
        for name, value in x.ids.items():
            if y.ids.get(name) == value:
                shared_id = f"id:{name}"
                break
    skip: frozenset[str] = frozenset()
    if settings.merge_preprints:
        # a preprint server registers its own DOI: that the DOIs differ proves nothing
        skip = frozenset(
            {"preprint_vs_published", "doi_differs"}
            if x.preprint != y.preprint
            else {"preprint_vs_published"}
        )
    if shared_id:
        skip |= OVERRIDDEN_BY_IDENTIFIER
    contained = _contained(x.title, y.title)
    if not shared_id and title < 85 and not contained and not _same_place(x, y):
        return Pair(x.id, y.id, DISTINCT, "title_differs", round(title / 100, 3))
    negative = hard_negative(x, y, skip)
    if (
        negative == "doi_differs"
        and title >= 98
        and x.first_page
        and min(len(x.title), len(y.title)) >= SHORT_TITLE
        and (x.first_page, x.year) == (y.first_page, y.year)
        and (x.volume == y.volume or not (x.volume and y.volume))
        and not (x.issue and y.issue and x.issue != y.issue)
        and not (x.last_page and y.last_page and x.last_page != y.last_page)
        and not hard_negative(x, y, skip | {"doi_differs"})
    ):
        # two DOIs for one citation (an old ISSN-based DOI, a typo): a person decides
        return Pair(x.id, y.id, UNCERTAIN, "doi_differs_rest_agrees", round(title / 100, 3))
    if negative:
        return Pair(x.id, y.id, DISTINCT, negative, round(title / 100, 3))
    if shared_id:
        if not x.title or not y.title or title >= 80 or contained:
            return Pair(x.id, y.id, DUPLICATE, shared_id, 1.0)
        if title >= 65:
            return Pair(x.id, y.id, UNCERTAIN, f"{shared_id}_title_differs", round(title / 100, 3))
        # a DOI shared by a whole supplement of abstracts
        return Pair(x.id, y.id, DISTINCT, f"{shared_id}_title_differs", round(title / 100, 3))
    same_page = bool(x.first_page) and x.first_page == y.first_page and x.page_kind == y.page_kind
    if (
        ((title >= 98 and min(len(x.title), len(y.title)) >= SHORT_TITLE) or contained)
        and same_page
        and x.volume
        and x.volume == y.volume
        and x.year == y.year
        and journal_match(x.journal, y.journal)
        and (
            not (x.authors and y.authors)
            or x.corporate
            or y.corporate
            or author_similarity(x, y) >= 50
        )
    ):
        # one title at one place of one journal volume: an author list mangled by the export,
        # or a study group's name given instead of its members
        return Pair(x.id, y.id, DUPLICATE, "same_title_and_place", 0.95)
    if _same_place(x, y):
        # a translated or re-translated title ('[Comparison of ...]' against the original) of
        # the article the same authors have at the same pages of the same volume
        return Pair(x.id, y.id, DUPLICATE, "same_authors_and_place", 0.9)
    if title < 85:
        return Pair(x.id, y.id, DISTINCT, "title_differs", round(title / 100, 3))
    if x.authors and y.authors:
        authors = author_similarity(x, y)
        first = max(
            fuzz.ratio(x.first_author, y.first_author), fuzz.ratio(x.first_surname, y.first_surname)
        )
        if first < 75 and (x.first_author in y.author_tokens or y.first_author in x.author_tokens):
            first = 100
        if authors < 70 or first < 75:
            return Pair(x.id, y.id, DISTINCT, "authors_differ", round(title / 100, 3))
    else:
        authors = 0.0
    support = 0
    support += x.year is not None and x.year == y.year
    support += same_page
    support += bool(x.volume) and x.volume == y.volume
    support += bool(x.issue) and x.issue == y.issue
    support += journal_match(x.journal, y.journal)
    support += bool(x.abstract) and bool(y.abstract) and fuzz.ratio(x.abstract, y.abstract) >= 90
    support += authors >= 95
    score = round(0.6 * title / 100 + 0.25 * authors / 100 + 0.15 * min(support, 4) / 4, 3)
    year_known = x.year is not None and y.year is not None
    short = min(len(x.title), len(y.title)) < SHORT_TITLE
    if short:
        same_range = (
            same_page
            and x.first_page != "1"
            and bool(x.last_page)
            and x.last_page == y.last_page
            and x.last_page != x.first_page
        )
        if same_range and authors >= 95 and x.year == y.year and title >= 95:
            # 'Title' and 'Title: its subtitle' by the same authors on the same pages
            return Pair(x.id, y.id, DUPLICATE, "short_title_same_pages", score)
        if authors >= 95 and support >= 4 and title >= 98:
            return Pair(x.id, y.id, DUPLICATE, "fuzzy_short_title", score)
        if (
            not (x.authors or y.authors)
            and title == 100
            and min(len(x.title), len(y.title)) >= 20
            and not x.notice
            and x.year == y.year
            and x.volume
            and x.volume == y.volume
            and x.issue
            and x.issue == y.issue
            and x.first_page == y.first_page
            and journal_match(x.journal, y.journal)
        ):
            # a record without authors ('ESICON 2017 Abstracts', a supplement's own record):
            # its title, journal, year, volume and issue are all there is, and all agree
            return Pair(x.id, y.id, DUPLICATE, "anonymous_same_issue", score)
        if authors >= 90 and support >= 3 and title >= 95:
            return Pair(x.id, y.id, UNCERTAIN, "short_title", score)
        return Pair(x.id, y.id, DISTINCT, "short_title", score)
    # two journals that are not one journal's names: same title, another venue, unless the
    # same page, or the same authors in the same year, volume and issue, confirm it (one
    # journal's translated name: 'Jinko Chino Gakkai Ronbunshi', 'Transactions of the ...')
    same_issue = bool(x.volume and x.issue) and (x.volume, x.issue) == (y.volume, y.issue)
    other_venue = (
        bool(x.journal and y.journal)
        and not same_page
        and not (same_issue and title >= 98 and authors >= 95 and x.year == y.year)
        and not journal_match(x.journal, y.journal)
        and fuzz.token_set_ratio(x.journal, y.journal) < 80
        and not (settings.merge_preprints and (x.preprint or y.preprint))
    )
    if title >= 95 and (authors >= 85 or not (x.authors and y.authors)):
        if support >= 3 or (support >= 2 and year_known and authors >= 85):
            if other_venue:
                return Pair(x.id, y.id, UNCERTAIN, "other_venue", score)
            return Pair(x.id, y.id, DUPLICATE, "fuzzy", score)
        if support >= 1:
            return Pair(x.id, y.id, UNCERTAIN, "fuzzy_little_support", score)
        return Pair(x.id, y.id, DISTINCT, "no_support", score)
    if title >= 90 and authors >= 85 and support >= 3:
        if other_venue:
            return Pair(x.id, y.id, UNCERTAIN, "other_venue", score)
        return Pair(x.id, y.id, DUPLICATE, "fuzzy_title_variant", score)
    if authors >= 80 and support >= 2:
        return Pair(x.id, y.id, UNCERTAIN, "title_variant", score)
    return Pair(x.id, y.id, DISTINCT, "weak_match", score)


# -- clustering ---------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


CHECK_LIMIT = 60  # clusters up to this size are checked pair by pair for hard negatives


def cluster(
    pairs: Sequence[Pair],
    by_id: dict[int, Features],
    settings: Settings | None = None,
    apart: set[tuple[int, int]] | None = None,
) -> list[Cluster]:
    """Union of duplicate pairs, strongest first, never joining two records a rule keeps apart."""
    settings = settings or Settings()
    duplicates = sorted(
        (p for p in pairs if p.outcome == DUPLICATE), key=lambda p: (-p.score, p.a, p.b)
    )
    forest = _UnionFind()
    members: dict[int, list[int]] = {}
    linked: dict[int, tuple[str, float]] = {}
    for pair in duplicates:
        ra, rb = forest.find(pair.a), forest.find(pair.b)
        if ra == rb:
            continue
        left, right = members.get(ra, [pair.a]), members.get(rb, [pair.b])
        if len(left) + len(right) <= CHECK_LIMIT and _conflict(left, right, by_id, settings):
            continue
        if apart and any((min(i, j), max(i, j)) in apart for i in left for j in right):
            continue
        forest.union(ra, rb)
        root = forest.find(ra)
        members.pop(ra, None)
        members.pop(rb, None)
        members[root] = left + right
        for member in (pair.a, pair.b):
            if member not in linked or linked[member][1] < pair.score:
                linked[member] = (pair.rule, pair.score)
    clusters = []
    for group in members.values():
        kept = max(group, key=lambda i: (by_id[i].completeness, -i))
        clusters.append(
            Cluster(
                kept,
                sorted(group),
                {i: linked[i][0] for i in group},
                {i: linked[i][1] for i in group},
            )
        )
    clusters.sort(key=lambda c: c.members[0])
    return clusters


def _shares_identifier(x: Features, y: Features) -> bool:
    return bool((x.doi and x.doi == y.doi) or (x.pmid and x.pmid == y.pmid))


def _conflict(
    left: list[int], right: list[int], by_id: dict[int, Features], settings: Settings
) -> bool:
    """Whether joining two groups would put together two records a rule keeps apart.

    A shared identifier vouches beyond its own pair: x and y that only differ in what an
    identifier overrides (pages, volume, issue, year, venue) do not conflict when x agrees with
    one record, y with another, and those two share a DOI or PMID (the same abstract printed at
    page 51 and at page 52, each with a copy that carries the DOI).
    """
    members = [by_id[i] for i in (*left, *right)]
    twins = [
        (w, v)
        for k, w in enumerate(members)
        for v in members[k + 1 :]
        if (w.doi or w.pmid) and _shares_identifier(w, v)
    ]
    for i in left:
        x = by_id[i]
        for j in right:
            y = by_id[j]
            skip = _skipped_rules(x, y, settings)
            shared = _shares_identifier(x, y)
            rules = skip | OVERRIDDEN_BY_IDENTIFIER if shared else skip
            if hard_negative(x, y, rules) and (
                shared
                or hard_negative(x, y, rules | OVERRIDDEN_BY_IDENTIFIER)
                or not _vouched(x, y, twins, settings)
            ):
                return True
            # a chain through a short title ('Title' ~ 'Title: A', 'Title' ~ 'Title: B') must
            # not join two records whose own titles disagree
            if (
                not shared
                and x.title
                and y.title
                and title_similarity(x, y) < 85
                and not _contained(x.title, y.title)
                and not _same_place(x, y)
            ):
                return True
    return False


def _vouched(
    x: Features, y: Features, twins: list[tuple[Features, Features]], settings: Settings
) -> bool:
    """x agrees with one of two records that share an identifier, and y with the other."""

    def agree(a: Features, b: Features) -> bool:
        return a is b or not hard_negative(a, b, _skipped_rules(a, b, settings))

    return any((agree(x, w) and agree(v, y)) or (agree(x, v) and agree(w, y)) for w, v in twins)


def find_duplicates(
    items: Sequence[Features],
    settings: Settings | None = None,
    decided: dict[tuple[int, int], str] | None = None,
) -> Result:
    """Scored pairs worth keeping (duplicate, uncertain, kept apart by a rule) and clusters."""
    settings = settings or Settings()
    candidates = candidate_pairs(items)
    pairs: list[Pair] = []
    for i, j in candidates:
        x, y = items[i], items[j]
        if x.id > y.id:
            x, y = y, x
        pair = compare(x, y, settings)
        if pair.outcome != DISTINCT or (pair.score >= 0.85 and pair.rule not in _NOISE):
            pairs.append(pair)
    apart: set[tuple[int, int]] = set()
    if decided:
        by_key = {(p.a, p.b): p for p in pairs}
        for (a, b), decision in decided.items():
            outcome = DUPLICATE if decision == "merge" else DISTINCT
            rule = f"reviewer_{decision}"
            if decision == "apart":
                apart.add((a, b))
            if (a, b) in by_key:
                by_key[a, b].outcome, by_key[a, b].rule = outcome, rule
            else:
                pairs.append(Pair(a, b, outcome, rule, 1.0))
    by_id = {f.id: f for f in items}
    clusters = cluster(pairs, by_id, settings, apart)
    in_cluster = {m: c.kept for c in clusters for m in c.members}
    # one uncertain pair per two clusters: the reviewer decides for the clusters at once
    best: dict[tuple[int, int], Pair] = {}
    kept_pairs = []
    for p in pairs:
        if p.outcome != UNCERTAIN:
            kept_pairs.append(p)
            continue
        ca, cb = in_cluster.get(p.a, p.a), in_cluster.get(p.b, p.b)
        if ca == cb:
            continue
        key = (min(ca, cb), max(ca, cb))
        if key not in best or (best[key].score, -best[key].a) < (p.score, -p.a):
            best[key] = p
    pairs = kept_pairs + list(best.values())
    pairs.sort(key=lambda p: (p.a, p.b))
    return Result(pairs, clusters, len(candidates))


_NOISE = frozenset({"title_differs", "authors_differ", "weak_match", "no_support", "short_title"})
