"""The rule engine: pure functions from a record to a decision with its rule, reason and evidence.

A query compiles once into nested closures (`Matcher.matches`, the fast path every record takes);
only the rule that decides a record is evaluated again by `Matcher.explain`, which collects the
spans of text that made it match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from slr.models import STAGES, TEXT_FIELDS, AutoDecision, Record
from slr.normalize.ids import canonical_doi
from slr.protocol.model import ACTIONS, Rule
from slr.protocol.query import (
    ALL_FIELDS,
    SCOPED_FIELDS,
    And,
    Meta,
    Near,
    Node,
    Not,
    Or,
    Query,
    QueryError,
    Term,
    Vocab,
    Year,
    check_names,
    parse_query,
)
from slr.screening.text import (
    FIELD_SEPARATOR,
    RecordText,
    Span,
    canonical_language,
    canonical_type,
)

if TYPE_CHECKING:
    from slr.protocol import Protocol as ReviewProtocol

_FIELD_ORDER = (*TEXT_FIELDS, *SCOPED_FIELDS)  # authors and source: only when a term names them
Test = Callable[[RecordText], bool]


class VocabularyMatcher(Protocol):
    """What `vocab:` predicates ask: which groups of a vocabulary match a record, with evidence.

    The tagging stage's `slr.tagging.Tagger` is the one that matches a protocol's vocabularies
    (and `slr tag` stores); anything with these three methods can stand in for it.
    """

    def groups(self, vocabulary: str) -> Sequence[str] | None:
        """The groups of a vocabulary, or None when there is no such vocabulary."""
        ...

    def matched(self, vocabulary: str, record: RecordText) -> frozenset[str]: ...

    def evidence(self, vocabulary: str, group: str, record: RecordText) -> list[Span]: ...


class _NoVocabularies:
    """A query's vocabularies when none are given: `vocab:` names an unknown vocabulary."""

    def groups(self, vocabulary: str) -> Sequence[str] | None:
        return None

    def matched(self, vocabulary: str, record: RecordText) -> frozenset[str]:
        return frozenset()

    def evidence(self, vocabulary: str, group: str, record: RecordText) -> list[Span]:
        return []


_NO_VOCABULARIES = _NoVocabularies()


@dataclass(slots=True)
class Matcher:
    """A compiled query."""

    query: Query
    vocabularies: VocabularyMatcher = _NO_VOCABULARIES
    periods: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    matches: Test = field(init=False)
    _tests: dict[int, Test] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.check()
        self.matches = self._compile(self.query.root)

    def check(self) -> None:
        """Raise QueryError for an unknown vocabulary, group or period."""
        check_names(self.query, self.vocabularies.groups, self.periods)

    # -- the fast path ------------------------------------------------------------------------

    def _compile(self, node: Node) -> Test:
        key = id(node)
        test = self._tests.get(key)
        if test is None:
            test = self._tests[key] = self._build(node)
        return test

    def _build(self, node: Node) -> Test:
        if isinstance(node, Term):
            return _term_test(node)
        if isinstance(node, Or):
            merged = _merge_terms(node.items)
            return _any_of([self._compile(item) for item in merged])
        if isinstance(node, And):
            return _all_of([self._compile(item) for item in node.items])
        if isinstance(node, Not):
            inner = self._compile(node.item)
            return lambda record: not inner(record)
        if isinstance(node, Near):
            return lambda record: bool(_near(node, record, first_only=True))
        if isinstance(node, Year):
            low = node.low if node.low is not None else -(10**6)
            high = node.high if node.high is not None else 10**6
            return lambda record: record.year is not None and low <= record.year <= high
        if isinstance(node, Vocab):
            return self._vocab_test(node)
        if isinstance(node, Meta):
            return self._meta_test(node)
        raise TypeError(node)  # pragma: no cover

    def _vocab_test(self, node: Vocab) -> Test:
        vocabularies, name = self.vocabularies, node.name
        if node.group:
            group = node.group
            return lambda record: group in vocabularies.matched(name, record)
        compare = _COMPARE[node.op]
        count = node.count
        return lambda record: compare(len(vocabularies.matched(name, record)), count)

    def _meta_test(self, node: Meta) -> Test:
        kind, value = node.kind, node.value
        if kind == "type":
            wanted = canonical_type(value)
            return lambda record: record.document_type == wanted
        if kind == "lang":
            wanted = canonical_language(value)
            return lambda record: record.language == wanted
        if kind == "period":
            low, high = self.periods[value]
            return lambda record: record.year is not None and low <= record.year <= high
        if kind == "doi":
            doi = canonical_doi(value)
            return lambda record: bool(record.doi) and canonical_doi(record.doi) == doi
        name = value.lower()
        getters: dict[str, Callable[[RecordText], Any]] = {
            "title": lambda r: r.folded["title"],
            "abstract": lambda r: r.folded["abstract"],
            "keywords": lambda r: r.folded["keywords"],
            "year": lambda r: r.year is not None,
            "lang": lambda r: r.language,
            "type": lambda r: r.document_type,
            "doi": lambda r: r.doi,
        }
        getter = getters[name]
        return lambda record: bool(getter(record))

    # -- the slow path: evidence --------------------------------------------------------------

    def explain(self, record: RecordText) -> list[Span] | None:
        """The spans that make the query match, or None when it does not match."""
        return self._explain(self.query.root, record)

    def _explain(self, node: Node, record: RecordText) -> list[Span] | None:
        if isinstance(node, Term):
            return find_term(node, record) or None
        if isinstance(node, Or):
            found = [s for item in node.items if (s := self._explain(item, record)) is not None]
            return [span for spans in found for span in spans] if found else None
        if isinstance(node, And):
            collected: list[Span] = []
            for item in node.items:
                spans = self._explain(item, record)
                if spans is None:
                    return None
                collected.extend(spans)
            return collected
        if isinstance(node, Not):
            return None if self._compile(node.item)(record) else []
        if isinstance(node, Near):
            return _near(node, record, first_only=False) or None
        if isinstance(node, Year | Meta):
            if not self._compile(node)(record):
                return None
            return [_metadata_span(node, record)]
        if isinstance(node, Vocab):
            if not self._compile(node)(record):
                return None
            groups = sorted(self.vocabularies.matched(node.name, record))
            if node.group:
                groups = [node.group]
            spans = []
            for group in groups:
                spans.extend(self.vocabularies.evidence(node.name, group, record))
            return spans
        raise TypeError(node)  # pragma: no cover


def _any_of(tests: list[Test]) -> Test:
    # unrolled for the common short cases: a closure call is much cheaper than a generator
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda r: a(r) or b(r)
    if len(tests) == 3:
        a, b, c = tests
        return lambda r: a(r) or b(r) or c(r)

    return lambda record: any(test(record) for test in tests)


def _all_of(tests: list[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda r: a(r) and b(r)
    if len(tests) == 3:
        a, b, c = tests
        return lambda r: a(r) and b(r) and c(r)

    return lambda record: all(test(record) for test in tests)


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "=": lambda a, b: a == b,
}


def _merge_terms(items: Iterable[Node]) -> list[Node]:
    """OR of plain terms over the same fields becomes one term: one regex search, not many."""
    merged: list[Node] = []
    by_kind: dict[tuple[frozenset[str], bool], list[Term]] = {}
    for item in items:
        if isinstance(item, Term):
            by_kind.setdefault((item.fields, item.exact), []).append(item)
        else:
            merged.append(item)
    for (fields, exact), terms in by_kind.items():
        pattern = "|".join(term.pattern for term in terms)
        literals = tuple(literal for term in terms for literal in term.literals)
        text = " OR ".join(t.text for t in terms)
        merged.insert(0, Term(text, pattern, fields, 0, literals, exact))
    return merged


def _prefilter(literals: tuple[str, ...]) -> tuple[str, ...]:
    """Literals one of which every match contains, without those that contain a shorter one;
    () when some match may contain none."""
    if "" in literals or not literals:
        return ()
    # "influencer" in a text is enough to try "virtual influencer" and "influencer marketing" too
    unique = sorted(set(literals), key=len)
    return tuple(
        lit for i, lit in enumerate(unique) if not any(shorter in lit for shorter in unique[:i])
    )


def _field_text(record: RecordText, name: str, exact: bool) -> str:
    """Where a term looks: the folded field, or the field as written for an exact term."""
    return record.original(name) if exact else record.folded[name]


def _term_test(term: Term) -> Test:
    """Words are rare: a substring test (fast) rules most records out before the regex runs."""
    search = re.compile(term.pattern).search
    literals = _prefilter(term.literals)
    if term.fields == ALL_FIELDS and not term.exact:
        if len(literals) == 1:
            literal = literals[0]
            return lambda r: literal in r.combined and search(r.combined) is not None
        if literals:
            return lambda r: (
                any(map(r.combined.__contains__, literals)) and search(r.combined) is not None
            )
        return lambda r: search(r.combined) is not None
    names = [name for name in _FIELD_ORDER if name in term.fields]
    exact = term.exact

    def test(record: RecordText) -> bool:
        for name in names:
            text = _field_text(record, name, exact)
            if literals and not any(map(text.__contains__, literals)):
                continue
            if search(text) is not None:
                return True
        return False

    return test


def find_term(term: Term, record: RecordText, names: Sequence[str] = _FIELD_ORDER) -> list[Span]:
    """Every match of a term in a record (in the fields `names` among the term's), as spans of
    the fields as written, in reading order."""
    pattern = re.compile(term.pattern)
    literals = _prefilter(term.literals)
    spans: list[Span] = []
    for name in names:
        if name not in term.fields:
            continue
        text = _field_text(record, name, term.exact)
        if literals and not any(lit in text for lit in literals):
            continue
        for match in pattern.finditer(text):
            if term.exact:
                spans.append(Span(name, match.start(), match.end(), match.group()))
            else:
                spans.append(record.span(name, match.start(), match.end()))
    return spans


@dataclass(slots=True)
class _NearPlan:
    left: re.Pattern[str]
    right: re.Pattern[str]
    left_literals: tuple[str, ...]
    right_literals: tuple[str, ...]


_PLANS: dict[Near, _NearPlan] = {}


def _plan(node: Near) -> _NearPlan:
    plan = _PLANS.get(node)
    if plan is None:
        plan = _PLANS[node] = _NearPlan(
            re.compile("|".join(t.pattern for t in node.left)),
            re.compile("|".join(t.pattern for t in node.right)),
            tuple(lit for t in node.left for lit in t.literals),
            tuple(lit for t in node.right for lit in t.literals),
        )
    return plan


def _words(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    return [(text.count(" ", 0, s), text.count(" ", 0, e - 1), s, e) for s, e in spans]


def _near(node: Near, record: RecordText, first_only: bool) -> list[Span]:
    plan = _plan(node)
    spans: list[Span] = []
    for name in _FIELD_ORDER:
        if name not in node.fields:
            continue
        text = record.folded[name]
        if not any(lit in text for lit in plan.left_literals) or not any(
            lit in text for lit in plan.right_literals
        ):
            continue
        lefts = [m.span() for m in plan.left.finditer(text)]
        if not lefts:
            continue
        rights = [m.span() for m in plan.right.finditer(text)]
        if not rights:
            continue
        for ls, le, lstart, lend in _words(text, lefts):
            for rs, re_, rstart, rend in _words(text, rights):
                if (lstart, lend) == (rstart, rend):
                    continue
                if rs > le:
                    gap = rs - le - 1
                elif ls > re_:
                    if node.ordered:
                        continue
                    gap = ls - re_ - 1
                else:
                    gap = 0  # overlapping matches
                if gap <= node.distance:
                    if first_only:
                        return [Span(name, lstart, rend, "")]
                    start, end = min(lstart, rstart), max(lend, rend)
                    spans.append(record.span(name, start, end))
    return spans


def _metadata_span(node: Year | Meta, record: RecordText) -> Span:
    if isinstance(node, Year) or node.kind == "period":
        return Span("year", 0, 0, "" if record.year is None else str(record.year))
    if node.kind == "type":
        return Span("type", 0, 0, record.document_type)
    if node.kind == "lang":
        return Span("language", 0, 0, record.language)
    if node.kind == "doi":
        return Span("doi", 0, 0, record.doi)
    return Span("has", 0, 0, node.value.lower())


# -- rules -------------------------------------------------------------------------------------


@dataclass(slots=True)
class CompiledRule:
    rule: Rule
    matcher: Matcher


def compile_rules(
    rules: Sequence[Rule],
    vocabularies: VocabularyMatcher = _NO_VOCABULARIES,
    periods: Mapping[str, tuple[int, int]] | None = None,
) -> list[CompiledRule]:
    return [
        CompiledRule(rule, Matcher(parse_query(rule.query), vocabularies, periods or {}))
        for rule in rules
    ]


def protocol_rules(
    protocol: ReviewProtocol, vocabularies: VocabularyMatcher, stage: str | None = None
) -> list[CompiledRule]:
    """A protocol's rules (of one stage, or all), compiled against its periods and the given
    vocabularies (the protocol's tagger, `slr.tagging.Tagger.of`, with reviewers' corrections)."""
    rules = [rule for rule in protocol.rules if stage is None or rule.stage == stage]
    return compile_rules(rules, vocabularies, protocol.periods)


def protocol_matcher(
    protocol: ReviewProtocol, text: str, vocabularies: VocabularyMatcher
) -> Matcher:
    """An ad hoc query (`slr query`) compiled against a protocol's vocabularies and periods."""
    return Matcher(parse_query(text), vocabularies, protocol.periods)


def first_match(
    record: RecordText, rules: Sequence[CompiledRule], stage: str
) -> CompiledRule | None:
    """The first rule of a stage whose query matches the record (rules apply in order)."""
    for compiled in rules:
        if compiled.rule.stage == stage and compiled.matcher.matches(record):
            return compiled
    return None


FULL_TEXT_GAP = "\n\n"  # between the abstract and the full text in what full-text rules read


def with_full_text(record: RecordText, full_text: str) -> RecordText:
    """What full-text rules read: the record with its full text (as stored when attached) after
    the abstract, so that terms, NEAR and vocabularies match in the report too. `decide` names
    evidence found past the abstract as the full text's."""
    if not full_text:
        return record
    joined = Record(
        title=record.title,
        abstract=record.abstract + FULL_TEXT_GAP + full_text,
        author_keywords=list(record.keywords),
        year=record.year,
        language=record.language,
        document_type=record.document_type,
        doi=record.doi,
    )
    text = RecordText.of(record.id, joined)
    text.authors, text.source = record.authors, record.source
    text.cache["full_text_from"] = len(record.abstract) + len(FULL_TEXT_GAP)
    return text


def _full_text_span(record: RecordText, span: Span) -> Span:
    """A span of the abstract that lies in the full text appended to it: as the full text's."""
    start = record.cache.get("full_text_from")
    if start is None or span.field != "abstract" or span.start < start:
        return span
    return Span("fulltext", span.start - start, span.end - start, span.text)


def decide(record: RecordText, rules: Sequence[CompiledRule], stage: str) -> AutoDecision | None:
    """The decision the rules make about a record at a stage: the first matching rule's."""
    compiled = first_match(record, rules, stage)
    if compiled is None:
        return None
    rule = compiled.rule
    evidence = [_full_text_span(record, span) for span in compiled.matcher.explain(record) or []]
    return AutoDecision(record.id, stage, rule.action, rule.reason, rule.id, evidence)


__all__ = [
    "ACTIONS",
    "FIELD_SEPARATOR",
    "STAGES",
    "AutoDecision",
    "CompiledRule",
    "Matcher",
    "QueryError",
    "Rule",
    "VocabularyMatcher",
    "compile_rules",
    "decide",
    "find_term",
    "first_match",
    "protocol_matcher",
    "protocol_rules",
    "with_full_text",
]
