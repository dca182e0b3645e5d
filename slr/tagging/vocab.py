"""The vocabulary matcher of the tagging stage: which groups of a vocabulary a text names, and
the words that show it.

A group is what the protocol writes: either a list of terms, or a table

    { terms = [...], exact = [...], exclude = [...] }

- `terms` match folded text (case and diacritics folded) on word boundaries; `*` is any letters,
  `?` one letter. Hyphens and spaces are interchangeable and may be left out
  (`cross-border` = `cross border` = `crossborder`), and the last word of a term without a
  wildcard also matches its inflections (plural, -ing, -ed: `influencer` -> `influencers`,
  `live stream` -> `live streaming`, `review` -> `reviews`).
- `exact` terms are abbreviations matched with their case (`UGC`, `KOL`, `CBEC`), plural `s`
  allowed (`KOLs`).
- a term `A NEAR/n B` matches A and B at most n words apart, in either order, in one field;
  each side may list alternatives with `|` (`e-commerce NEAR/4 export*|overseas`).
- `exclude` terms void a match they overlap: a false sense of a word (`review` in "literature
  review" is not a consumer review).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slr.screening.text import RecordText, Span, fold_with_offsets

FIELDS = ("title", "abstract", "keywords")
_NEAR = re.compile(r"^(.+?)\s+NEAR/(\d+)\s+(.+)$")
_WORD_CHAR = re.compile(r"[^\W_]")
_VOWELS = "aeiou"
_WILDCARDS = {"*": r"\w*", "?": r"\w", "$": r"\w?"}  # the query language's
MAX_EVIDENCE = 10  # spans kept per tag (the first ones, title first)


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """One group of a vocabulary as the protocol writes it."""

    terms: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def all_terms(self) -> tuple[str, ...]:
        return (*self.terms, *self.exact)

    @classmethod
    def of(cls, value: Any) -> GroupSpec:
        if isinstance(value, GroupSpec):
            return value
        if isinstance(value, Mapping):
            return cls(
                tuple(value.get("terms", ())),
                tuple(value.get("exact", ())),
                tuple(value.get("exclude", ())),
            )
        return cls(tuple(value))


GROUP_KEYS = ("terms", "exact", "exclude")


@dataclass(slots=True)
class Evidence:
    """Where a tag's words are: field, offsets into the original field text, the words, and the
    protocol term that matched them."""

    field: str
    start: int
    end: int
    text: str
    term: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "term": self.term,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return cls(data["field"], data["start"], data["end"], data["text"], data.get("term", ""))

    def span(self) -> Span:
        return Span(self.field, self.start, self.end, self.text)


@dataclass(slots=True)
class Tag:
    vocabulary: str
    group: str
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.vocabulary}.{self.group}"


# -- terms to regular expressions --------------------------------------------------------------


def _inflect(word: str) -> str:
    """A regex for a lower-case word and its plural, -ing and -ed forms."""
    escaped = re.escape(word)
    if len(word) < 3 or not word.isalpha():
        return escaped + "s?"
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|ing)"
    if word.endswith("y") and word[-2] not in _VOWELS:
        return re.escape(word[:-1]) + "(?:y|ys|ies|ied|ying)"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return escaped + "(?:s|es|ed|ing)?"
    double = ""
    if word[-1] not in _VOWELS + "wy" and word[-2] in _VOWELS and word[-3] not in _VOWELS:
        double = "|" + re.escape(word[-1]) + "(?:ing|ed)"  # shop -> shopping
    return escaped + f"(?:s|es|ing|ed{double})?"


def _words(text: str) -> list[str]:
    """The words of a folded term, wildcards kept: `Cross-Border e-commerce*` ->
    ['cross', 'border', 'e', 'commerce*']."""
    out: list[str] = []
    current = ""
    for char in text:
        if char in _WILDCARDS:
            current += char
            continue
        folded = fold_with_offsets(char)[0] if not char.isascii() else char.lower()
        for piece in folded or " ":
            if _WORD_CHAR.match(piece):
                current += piece
            elif current:
                out.append(current)
                current = ""
    if current:
        out.append(current)
    return out


def _word_regex(word: str, last: bool) -> str:
    if any(c in _WILDCARDS for c in word):
        return "".join(_WILDCARDS.get(c, re.escape(c)) for c in word)
    return _inflect(word) if last else re.escape(word)


def folded_pattern(term: str) -> str:
    """The regex a term matches in folded text (see the module's docstring)."""
    words = _words(term)
    if not words:
        return ""
    body = " ?".join(_word_regex(w, i == len(words) - 1) for i, w in enumerate(words))
    return rf"\b{body}\b"


def _pieces(term: str) -> list[str]:
    """Pieces of folded text every match of a term contains, one per word."""
    words = _words(term)
    pieces = []
    for index, word in enumerate(words):
        piece = re.split(r"[*?$]", word)[0]
        wild = any(c in _WILDCARDS for c in word)
        if index == len(words) - 1 and not wild and len(word) >= 3:
            piece = word[:-1]  # e/y may change before an inflection
        pieces.append(piece)
    return pieces


def search_pattern(term: str) -> str:
    """`folded_pattern(term)` written to start with the term's first letters: the same matches,
    found much faster (the regular expression engine looks for a literal start as for a piece of
    text, where it tries `\\b` at every position)."""
    pattern = folded_pattern(term)
    words = _words(term)
    if not pattern or not words:
        return pattern
    body = pattern[2:]  # after the leading \b
    lead = re.split(r"[*?$]", words[0])[0]
    while lead:
        escaped = re.escape(lead)
        if body.startswith(escaped) and body[len(escaped) : len(escaped) + 1] not in "?*+{":
            break
        lead = lead[:-1]
    if not lead:
        return pattern
    # `\b` before a letter: no letter before it, which a look-behind checks after the letters
    return escaped + rf"(?<!\w.{{{len(lead)}}})" + body[len(escaped) :]


def literal_of(term: str) -> str:
    """A piece of folded text every match of a term contains (a fast prefilter)."""
    pieces = _pieces(term)
    return max(pieces, key=len) if pieces else ""


def needs_of(term: str) -> frozenset[str]:
    """Pieces of folded text every match of a term contains (a stronger prefilter than
    `literal_of`: `online export*` needs both `online` and `export`): all but those another piece
    contains, and but short ones (`of`, `the`: in every text) when there are longer ones."""
    pieces = {p for p in _pieces(term) if p}
    longer = {p for p in pieces if len(p) > 3}
    if longer:
        pieces = longer
    return frozenset(p for p in pieces if not any(p in q for q in pieces if q != p))


def exact_pattern(term: str) -> str:
    """An abbreviation, case kept, `s` plural allowed, hyphens and spaces interchangeable."""
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", term.strip()) if p]
    return r"(?<![^\W_])" + r"[\s\-]?".join(parts) + r"s?(?![^\W_])"


def exclusion_pattern(term: str) -> str:
    """An exclusion term on original text (for exact matches): case-insensitive words."""
    words = _words(term)
    body = r"[\W_]*".join(_word_regex(w, i == len(words) - 1) for i, w in enumerate(words))
    return rf"\b{body}\b"


@dataclass(slots=True)
class _Term:
    text: str
    pattern: re.Pattern[str]
    literal: str
    needs: frozenset[str]  # `needs_of`
    search: Callable[[str], re.Match[str] | None]  # `search_pattern`'s


@dataclass(slots=True)
class _Near:
    text: str
    left: re.Pattern[str]
    right: re.Pattern[str]
    distance: int
    literals: tuple[tuple[str, ...], tuple[str, ...]]  # one of each side's must be in the text
    # each side's alternatives' `needs_of`: one of each side's must be in the text
    needs: tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]] = ((), ())


@dataclass(slots=True)
class _Group:
    name: str
    terms: list[_Term]
    near: list[_Near]
    exact: list[tuple[str, re.Pattern[str], str]]  # term, pattern, a literal it contains
    # exclude terms that spell an abbreviation out in another sense: anywhere in the record,
    # they void that abbreviation in the whole record ("University Grants Commission (UGC)")
    redefined: dict[str, re.Pattern[str]]
    exclude_folded: re.Pattern[str] | None
    exclude_original: re.Pattern[str] | None
    either: re.Pattern[str] | None  # every folded term in one regex: the matches, in order
    literals: tuple[str, ...]
    exact_literals: tuple[str, ...] = ()
    needs: tuple[frozenset[str], ...] = ()  # each term's `needs_of`: one must be in the text
    exclude_needs: tuple[frozenset[str], ...] = ()  # the same of the exclude terms


def _alternatives(
    side: str,
) -> tuple[re.Pattern[str], tuple[str, ...], tuple[frozenset[str], ...]]:
    options = [o.strip() for o in side.split("|") if o.strip()]
    pattern = "|".join(f"(?:{folded_pattern(o)})" for o in options)
    return (
        re.compile(pattern),
        tuple(literal_of(o) for o in options),
        _fewest(needs_of(o) for o in options),
    )


def _fewest(needs: Iterable[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """Needs without those that need more than another (which the test finds anyway)."""
    unique = sorted(set(needs), key=len)
    return tuple(n for i, n in enumerate(unique) if not any(m <= n for m in unique[:i]))


def _compile_group(name: str, spec: GroupSpec) -> _Group:
    terms: list[_Term] = []
    near: list[_Near] = []
    for term in spec.terms:
        match = _NEAR.match(term)
        if match:
            left, left_literal, left_needs = _alternatives(match.group(1))
            right, right_literal, right_needs = _alternatives(match.group(3))
            near.append(
                _Near(
                    term,
                    left,
                    right,
                    int(match.group(2)),
                    (left_literal, right_literal),
                    (left_needs, right_needs),
                )
            )
            continue
        pattern = folded_pattern(term)
        if pattern:
            terms.append(
                _Term(
                    term,
                    re.compile(pattern),
                    literal_of(term),
                    needs_of(term),
                    re.compile(search_pattern(term)).search,
                )
            )
    exact = [
        (term, re.compile(exact_pattern(term)), re.split(r"[\W_]+", term.strip())[0])
        for term in spec.exact
    ]
    redefined = {}
    for term in spec.exact:
        senses = [x for x in spec.exclude if re.search(exact_pattern(term), x)]
        if senses:
            redefined[term] = re.compile(
                "|".join(exclusion_pattern(x) for x in senses), re.IGNORECASE
            )
    exclude_folded = exclude_original = None
    if spec.exclude:
        exclude_folded = re.compile("|".join(search_pattern(t) for t in spec.exclude))
        exclude_original = re.compile(
            "|".join(exclusion_pattern(t) for t in spec.exclude), re.IGNORECASE
        )
    either = re.compile("|".join(t.pattern.pattern for t in terms)) if terms else None
    literals = tuple(t.literal for t in terms)
    return _Group(
        name,
        terms,
        near,
        exact,
        redefined,
        exclude_folded,
        exclude_original,
        either,
        _shortest(literals),
        tuple(literal for _term, _pattern, literal in exact),
        _fewest(needs_of(t.text) for t in terms),
        _fewest(needs_of(t) for t in spec.exclude),
    )


class _Pieces:
    """Which of the pieces of text the terms need (`needs_of`) a record contains.

    Looking for each piece in the whole text costs more than all the regular expressions it
    spares, so the answer is built from the record's words instead: a piece has no space in it,
    so it is in the text exactly when it is in one of its words, and what each word contains is
    kept (words recur from record to record)."""

    LIMIT = 200_000  # words kept, at most

    def __init__(self, pieces: tuple[str, ...]) -> None:
        self.pieces = pieces
        self.letters = tuple(p for p in pieces if len(p) == 1)
        self.by_start: dict[str, list[str]] = {}  # the first two letters -> the longer pieces
        for piece in pieces:
            if len(piece) > 1:
                self.by_start.setdefault(piece[:2], []).append(piece)
        self.by_word: dict[str, frozenset[str]] = {}
        self.with_pieces: set[str] = set()  # the words of `by_word` that contain some
        self.key = f"pieces{next(_TAGGERS)}"

    def _in(self, word: str) -> frozenset[str]:
        """The pieces one word contains."""
        found = [p for p in self.letters if p in word]
        by_start = self.by_start
        for index in range(len(word) - 1):
            for piece in by_start.get(word[index : index + 2], ()):
                if word.startswith(piece, index):
                    found.append(piece)
        return frozenset(found)

    def present(self, record: RecordText) -> frozenset[str]:
        found = record.cache.get(self.key)
        if found is None:
            words = set(record.combined.split())
            by_word = self.by_word
            missing = words.difference(by_word)
            if missing:
                if len(by_word) + len(missing) > self.LIMIT:
                    by_word.clear()
                    self.with_pieces.clear()
                    missing = words
                for word in missing:
                    pieces = by_word[word] = self._in(word)
                    if pieces:
                        self.with_pieces.add(word)
            found = record.cache[self.key] = frozenset().union(
                *map(by_word.__getitem__, words.intersection(self.with_pieces))
            )
        return found


def _all_pieces(groups: Iterable[_Group]) -> tuple[str, ...]:
    """Every piece of text the groups' terms need (`needs_of`)."""
    pieces: set[str] = set()
    for group in groups:
        for needs in (*(t.needs for t in group.terms), *group.needs, *group.exclude_needs):
            pieces.update(needs)
        for near in group.near:
            for side in near.needs:
                for needs in side:
                    pieces.update(needs)
    return tuple(sorted(pieces))


def _shortest(literals: Sequence[str]) -> tuple[str, ...]:
    """Literals without those that contain a shorter one (which the test finds anyway)."""
    unique = sorted(set(literals), key=len)
    return tuple(
        lit for i, lit in enumerate(unique) if not any(shorter in lit for shorter in unique[:i])
    )


# -- the matcher -------------------------------------------------------------------------------


class TextFields:
    """The fields a tagger reads: a record's title, abstract and keywords, and optionally more
    (attached full text), each folded once with a map back to the original offsets."""

    def __init__(self, record: RecordText, extra: Mapping[str, str] | None = None) -> None:
        self.record = record
        self.extra: dict[str, tuple[str, str, list[int]]] = {}
        for name, text in (extra or {}).items():
            folded, offsets = fold_with_offsets(text)
            self.extra[name] = (text, folded, offsets)

    @property
    def names(self) -> list[str]:
        return [*FIELDS, *self.extra]

    def folded(self, name: str) -> str:
        if name in self.extra:
            return self.extra[name][1]
        return self.record.folded[name]

    def original(self, name: str) -> str:
        if name in self.extra:
            return self.extra[name][0]
        return self.record.original(name)

    def span(self, name: str, start: int, end: int) -> Span:
        if name in self.extra:
            text, _folded, offsets = self.extra[name]
            first, last = offsets[start], offsets[end - 1] + 1
            return Span(name, first, last, text[first:last])
        return self.record.span(name, start, end)


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


_TAGGERS = itertools.count(1)


class Tagger:
    """Every vocabulary of a protocol, compiled. Also a `slr.screening.VocabularyMatcher`, so
    `vocab:NAME>=N` in rules and queries counts the groups this matcher tags; `overrides`
    (record id -> {(vocabulary, group): "add" | "remove"}) are a reviewer's corrections, which
    beat the automatic tags."""

    def __init__(
        self,
        vocabularies: Mapping[str, Mapping[str, Any]],
        overrides: Mapping[int, Mapping[tuple[str, str], str]] | None = None,
    ) -> None:
        self._groups: dict[str, list[_Group]] = {
            name: [_compile_group(group, GroupSpec.of(spec)) for group, spec in groups.items()]
            for name, groups in vocabularies.items()
        }
        self._pieces = _Pieces(_all_pieces(g for groups in self._groups.values() for g in groups))
        self.overrides: Mapping[int, Mapping[tuple[str, str], str]] = overrides or {}
        self._cache_key = f"tag{next(_TAGGERS)}:"

    @property
    def vocabularies(self) -> list[str]:
        return list(self._groups)

    def with_overrides(self, overrides: Mapping[int, Mapping[tuple[str, str], str]]) -> Tagger:
        other = Tagger.__new__(Tagger)
        other._groups = self._groups
        other._pieces = self._pieces
        other.overrides = overrides
        other._cache_key = f"tag{next(_TAGGERS)}:"
        return other

    # -- VocabularyMatcher --------------------------------------------------------------------

    def groups(self, vocabulary: str) -> Sequence[str] | None:
        groups = self._groups.get(vocabulary)
        return None if groups is None else [g.name for g in groups]

    def matched(self, vocabulary: str, record: RecordText) -> frozenset[str]:
        key = self._cache_key + vocabulary  # a record's cache may serve several taggers
        found = record.cache.get(key)
        if found is None:
            # every piece of text the vocabulary's terms need, looked for once
            present = self._pieces.present(record)
            auto = {
                group.name
                for group in self._groups[vocabulary]
                if self._present(group, record, present)
            }
            found = frozenset(
                self._corrected(vocabulary, record.id, auto) if self.overrides else auto
            )
            record.cache[key] = found
        return found

    def _present(self, group: _Group, record: RecordText, present: frozenset[str]) -> bool:
        """Whether the group matches at all: the fast path every rule takes for every record.
        `present` holds the pieces of text (`needs_of`) the record contains."""
        combined = record.combined
        if (
            group.either is not None
            and any(map(present.issuperset, group.needs))
            # whether any term matches: one at a time, those whose pieces are all there
            and any(t.search(combined) for t in group.terms if t.needs <= present)
        ):
            if group.exclude_folded is None or not any(
                map(present.issuperset, group.exclude_needs)
            ):
                return True  # (no exclude term can match)
            excluded: list[tuple[int, int]] | None = None
            for match in group.either.finditer(combined):
                if excluded is None:
                    excluded = [m.span() for m in group.exclude_folded.finditer(combined)]
                if not _overlaps(match.start(), match.end(), excluded):
                    return True
        if not group.near and not group.exact_literals:
            return False
        near = [
            n
            for n in group.near
            if any(map(present.issuperset, n.needs[0])) and any(map(present.issuperset, n.needs[1]))
        ]
        exact = bool(group.exact_literals) and any(
            map(_original(record).__contains__, group.exact_literals)
        )
        if not near and not exact:
            return False
        slow = _Group(
            group.name,
            [],
            near,
            group.exact if exact else [],
            group.redefined,
            group.exclude_folded,
            group.exclude_original,
            None,
            (),
        )
        return bool(self._hits(slow, TextFields(record), True, False))

    def evidence(self, vocabulary: str, group: str, record: RecordText) -> list[Span]:
        for compiled in self._groups[vocabulary]:
            if compiled.name == group:
                hits = self._hits(compiled, TextFields(record), True)
                if hits:
                    return [hits[0].span()]
        if self.overrides.get(record.id, {}).get((vocabulary, group)) == "add":
            return [Span("reviewer", 0, 0, f"{vocabulary}.{group}")]
        return []

    def _corrected(self, vocabulary: str, record_id: int, auto: Iterable[str]) -> set[str]:
        groups = set(auto)
        for (name, group), action in self.overrides.get(record_id, {}).items():
            if name != vocabulary:
                continue
            if action == "add":
                groups.add(group)
            else:
                groups.discard(group)
        return groups

    # -- tagging ------------------------------------------------------------------------------

    def tag(self, record: RecordText, extra: Mapping[str, str] | None = None) -> list[Tag]:
        """The automatic tags of a record (no reviewer corrections), each with its evidence."""
        fields = TextFields(record, extra)
        tags = []
        for vocabulary, groups in self._groups.items():
            for group in groups:
                hits = _distinct(self._hits(group, fields, False), fields.names)
                if hits:
                    tags.append(Tag(vocabulary, group.name, hits[:MAX_EVIDENCE]))
        return tags

    def _hits(
        self, group: _Group, fields: TextFields, first_only: bool, locate: bool = True
    ) -> list[Evidence]:
        """The group's matches in reading order of fields (only the first with `first_only`).

        Prefilters first (a literal every match contains), exclusions only once something
        matched: most records name most groups nowhere, and rules ask about every record."""
        hits: list[Evidence] = []
        redefined: dict[str, bool] = {}
        for name in fields.names:
            folded = fields.folded(name)
            if not folded:
                continue
            excluded: list[tuple[int, int]] | None = None
            if group.either is not None and any(map(folded.__contains__, group.literals)):
                for match in group.either.finditer(folded):
                    if group.exclude_folded is not None:
                        if excluded is None:
                            excluded = [m.span() for m in group.exclude_folded.finditer(folded)]
                        if _overlaps(match.start(), match.end(), excluded):
                            continue
                    if not locate:  # only whether there is a match: no offsets to compute
                        return [Evidence(name, match.start(), match.end(), "", "")]
                    span = fields.span(name, match.start(), match.end())
                    term = "" if first_only else _term_of(group, match.group())
                    hits.append(Evidence(name, span.start, span.end, span.text, term))
                    if first_only:
                        return hits
            for near in group.near:
                for start, end in _near_spans(near, folded):
                    if group.exclude_folded is not None:
                        if excluded is None:
                            excluded = [m.span() for m in group.exclude_folded.finditer(folded)]
                        if _overlaps(start, end, excluded):
                            continue
                    span = fields.span(name, start, end)
                    hits.append(Evidence(name, span.start, span.end, span.text, near.text))
                    if first_only:
                        return hits
            if not group.exact:
                continue
            original = fields.original(name)
            out: list[tuple[int, int]] | None = None
            for term, pattern, literal in group.exact:
                if literal not in original:
                    continue
                for match in pattern.finditer(original):
                    if term in group.redefined:
                        if term not in redefined:
                            redefined[term] = any(
                                group.redefined[term].search(fields.original(other))
                                for other in fields.names
                            )
                        if redefined[term]:
                            break
                    if group.exclude_original is not None:
                        if out is None:
                            out = [m.span() for m in group.exclude_original.finditer(original)]
                        if _overlaps(match.start(), match.end(), out):
                            continue
                    hits.append(Evidence(name, match.start(), match.end(), match.group(), term))
                    if first_only:
                        return hits
        return hits


def _original(record: RecordText) -> str:
    """Title, abstract and keywords as written: where abbreviations are looked for."""
    original = record.cache.get("tag:original")
    if original is None:
        original = record.cache["tag:original"] = "\n".join(
            (record.title, record.abstract, *record.keywords)
        )
    return original


def _term_of(group: _Group, words: str) -> str:
    """The protocol term behind a match of the group's combined regex."""
    return next((t.text for t in group.terms if t.pattern.fullmatch(words)), "")


def _distinct(hits: list[Evidence], order: list[str]) -> list[Evidence]:
    """One piece of evidence per place, in reading order (fields in order, then offsets)."""
    seen: dict[tuple[str, int, int], Evidence] = {}
    for hit in hits:
        seen.setdefault((hit.field, hit.start, hit.end), hit)
    return sorted(seen.values(), key=lambda e: (order.index(e.field), e.start, e.end))


def _near_spans(near: _Near, folded: str) -> list[tuple[int, int]]:
    left_literals, right_literals = near.literals
    if not any(lit in folded for lit in left_literals) or not any(
        lit in folded for lit in right_literals
    ):
        return []
    lefts = [m.span() for m in near.left.finditer(folded)]
    if not lefts:
        return []
    rights = [m.span() for m in near.right.finditer(folded)]
    spans = []
    for ls, le in lefts:
        for rs, re_ in rights:
            if rs >= le:
                gap = folded.count(" ", le, rs) - 1
            elif ls >= re_:
                gap = folded.count(" ", re_, ls) - 1
            else:
                continue  # one words matched by both sides
            if gap <= near.distance:
                spans.append((min(ls, rs), max(le, re_)))
                break
    return spans
