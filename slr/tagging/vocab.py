"""The vocabulary matcher of the tagging stage: which groups of a vocabulary a text names, and
the words that show it.

A group is what the protocol writes: either a list of terms, or a table

    { terms = [...], exact = [...], exclude = [...] }

- `terms` match as every term of `slr` does (`slr.normalize.terms`, the compiler rules, queries
  and highlighting share): folded text (case and diacritics folded) on word boundaries; `*` is
  any letters, `?` one letter. Hyphens and spaces are interchangeable and may be left out
  (`cross-border` = `cross border` = `crossborder`), and the last word of a term without a
  wildcard also matches its inflections (plural, -ing, -ed: `influencer` -> `influencers`,
  `live stream` -> `live streaming`, `review` -> `reviews`).
- `exact` terms are abbreviations matched with their case (`UGC`, `KOL`, `CBEC`), plural `s`
  allowed (`KOLs`): `exact:UGC` in a rule or a query.
- a term `A NEAR/n B` matches A and B at most n words apart, in either order, in one field;
  each side may list alternatives with `|` (`e-commerce NEAR/4 export*|overseas`).
- `exclude` terms void a match they overlap: a false sense of a word (`review` in "literature
  review" is not a consumer review).
- a negated match is no evidence: "No export activity was reported" does not tag exporting
  (`slr.tagging.negation`: a cue such as no, not, without or lack of shortly before the term in
  the same sentence). `vocab:` predicates count the same tags.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from slr.models import MAX_EVIDENCE, Evidence, Span, Tag
from slr.normalize.terms import CompiledTerm, compile_term
from slr.normalize.text import fold_with_offsets
from slr.protocol.model import GroupSpec
from slr.screening.text import RecordText
from slr.tagging.negation import cue_before, is_negated

if TYPE_CHECKING:
    from slr.protocol import Protocol

FIELDS = ("title", "abstract", "keywords")
_NEAR = re.compile(r"^(.+?)\s+NEAR/(\d+)\s+(.+)$")


# -- groups compiled ------------------------------------------------------------------------


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
    terms: list[CompiledTerm]
    near: list[_Near]
    exact: list[CompiledTerm]
    # exclude terms that spell an abbreviation out in another sense: anywhere in the record,
    # they void that abbreviation in the whole record ("University Grants Commission (UGC)")
    redefined: dict[str, re.Pattern[str]]
    exclude_folded: re.Pattern[str] | None
    either: re.Pattern[str] | None  # every folded term in one regex: the matches, in order
    literals: tuple[str, ...]
    exact_literals: tuple[str, ...] = ()
    needs: tuple[frozenset[str], ...] = ()  # each term's `needs_of`: one must be in the text
    exclude_needs: tuple[frozenset[str], ...] = ()  # the same of the exclude terms


def _alternatives(
    side: str,
) -> tuple[re.Pattern[str], tuple[str, ...], tuple[frozenset[str], ...]]:
    options = [c for c in (compile_term(o.strip()) for o in side.split("|")) if c is not None]
    pattern = "|".join(f"(?:{c.pattern})" for c in options)
    return (
        re.compile(pattern),
        tuple(c.literal for c in options),
        _fewest(c.needs for c in options),
    )


def _fewest(needs: Iterable[frozenset[str]]) -> tuple[frozenset[str], ...]:
    """Needs without those that need more than another (which the test finds anyway)."""
    unique = sorted(set(needs), key=len)
    return tuple(n for i, n in enumerate(unique) if not any(m <= n for m in unique[:i]))


def _compile_group(name: str, spec: GroupSpec) -> _Group:
    terms: list[CompiledTerm] = []
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
        compiled = compile_term(term)
        if compiled is not None:
            terms.append(compiled)
    exact = [c for c in (compile_term(t, exact=True) for t in spec.exact) if c is not None]
    excludes = [c for c in (compile_term(t) for t in spec.exclude) if c is not None]
    redefined = {}
    for abbreviation in exact:
        senses = [x for x in excludes if abbreviation.regex.search(x.text)]
        if senses:
            redefined[abbreviation.text] = re.compile("|".join(x.pattern for x in senses))
    exclude_folded = None
    if excludes:
        exclude_folded = re.compile("|".join(x.pattern for x in excludes))
    either = re.compile("|".join(t.pattern for t in terms)) if terms else None
    literals = tuple(t.literal for t in terms)
    return _Group(
        name,
        terms,
        near,
        exact,
        redefined,
        exclude_folded,
        either,
        _shortest(literals),
        tuple(t.literal for t in exact),
        _fewest(t.needs for t in terms),
        _fewest(x.needs for x in excludes),
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

    def original_span(self, name: str, start: int, end: int) -> tuple[int, int]:
        """Offsets into the original field of folded[start:end]."""
        span = self.span(name, start, end)
        return span.start, span.end


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

    @classmethod
    def of(cls, protocol: Protocol) -> Tagger:
        """The vocabularies of a protocol, compiled (once for the same vocabularies)."""
        return _compiled(
            tuple(
                (name, tuple((group, GroupSpec.of(spec)) for group, spec in groups.items()))
                for name, groups in protocol.vocabulary_groups.items()
            )
        )

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
            and any(t.regex.search(combined) for t in group.terms if t.needs <= present)
        ):
            if any(cue_before(combined, m.start()) for m in group.either.finditer(combined)):
                # a match may be negated: the places, with their sentences, decide
                return bool(self._hits(group, TextFields(record), True, False))
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

    def spans(self, record: RecordText) -> list[Span]:
        """Every place any group of any vocabulary matches (what the screen highlights), in
        reading order, each place once."""
        key = self._cache_key + "spans"
        found = record.cache.get(key)
        if found is None:
            fields = TextFields(record)
            hits = [
                hit
                for groups in self._groups.values()
                for group in groups
                for hit in self._hits(group, fields, False)
            ]
            found = record.cache[key] = [hit.span() for hit in _distinct(hits, fields.names)]
        return list(found)

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
                    cue = cue_before(folded, match.start())
                    if not locate and not cue:
                        # only whether there is a match: no offsets to compute
                        return [Evidence(name, match.start(), match.end(), "", "")]
                    span = fields.span(name, match.start(), match.end())
                    if cue and is_negated(fields.original(name), span.start):
                        continue
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
                    if cue_before(folded, start) and is_negated(fields.original(name), span.start):
                        continue
                    hits.append(Evidence(name, span.start, span.end, span.text, near.text))
                    if first_only:
                        return hits
            if not group.exact:
                continue
            original = fields.original(name)
            out: list[tuple[int, int]] | None = None  # exclusions, as offsets into the original
            for abbreviation in group.exact:
                if abbreviation.literal not in original:
                    continue
                for match in abbreviation.regex.finditer(original):
                    if abbreviation.text in group.redefined:
                        if abbreviation.text not in redefined:
                            redefined[abbreviation.text] = any(
                                group.redefined[abbreviation.text].search(fields.folded(other))
                                for other in fields.names
                            )
                        if redefined[abbreviation.text]:
                            break
                    if group.exclude_folded is not None:
                        if out is None:
                            out = [
                                fields.original_span(name, *m.span())
                                for m in group.exclude_folded.finditer(folded)
                            ]
                        if _overlaps(match.start(), match.end(), out):
                            continue
                    if is_negated(original, match.start()):
                        continue
                    hits.append(
                        Evidence(name, match.start(), match.end(), match.group(), abbreviation.text)
                    )
                    if first_only:
                        return hits
        return hits


@lru_cache(maxsize=8)
def _compiled(vocabularies: tuple[tuple[str, tuple[tuple[str, GroupSpec], ...]], ...]) -> Tagger:
    return Tagger({name: dict(groups) for name, groups in vocabularies})


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
    return next((t.text for t in group.terms if t.regex.fullmatch(words)), "")


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
