"""Which words of a record to highlight for a reviewer: include terms, exclude terms, vocabulary.

Include terms are the protocol's `screening.include_terms` and the words an include rule asks for
(or an exclude rule asks to be absent); exclude terms the other way round. Vocabulary words are
what the tagging stage tags (`Tagger.spans`: exact abbreviations, NEAR terms and exclusions
included). Every term matches as it does in rules, `slr query` and tagging
(`slr.normalize.terms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from slr.protocol import Protocol
from slr.protocol.query import ALL_FIELDS, And, Near, Node, Not, Or, Term, make_term
from slr.screening.engine import find_term, protocol_rules
from slr.screening.text import RecordText, Span
from slr.tagging.vocab import Tagger

KINDS = ("exclude", "include", "vocabulary")  # a word in several kinds shows the first


def _terms(node: Node, positive: bool, out: dict[bool, list[Term]]) -> None:
    if isinstance(node, Term):
        out[positive].append(node)
    elif isinstance(node, Near):
        out[positive].extend((*node.left, *node.right))
    elif isinstance(node, And | Or):
        for item in node.items:
            _terms(item, positive, out)
    elif isinstance(node, Not):
        _terms(node.item, not positive, out)


def _unique(terms: list[Term]) -> tuple[Term, ...]:
    """Each term once, over every field (a scope does not narrow what a reviewer is shown)."""
    seen = {(t.text, t.exact): replace(t, fields=ALL_FIELDS, position=0) for t in terms}
    return tuple(seen.values())


def _leftmost_longest(spans: list[Span]) -> list[Span]:
    """The spans that do not overlap, the leftmost (then the longest) first: "cross-border
    e-commerce", not "cross-border" inside it."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.end > span.start and (not kept or span.start >= kept[-1].end):
            kept.append(span)
    return kept


@dataclass(slots=True)
class Highlighter:
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    vocabularies: Tagger | None = None

    @classmethod
    def of(cls, protocol: Protocol | None) -> Highlighter:
        if protocol is None:
            return cls()
        include = [t for t in map(make_term, protocol.include_terms) if t is not None]
        exclude = [t for t in map(make_term, protocol.exclude_terms) if t is not None]
        for compiled in protocol_rules(protocol, Tagger.of(protocol)):
            action = compiled.rule.action
            if action == "flag":
                continue
            found: dict[bool, list[Term]] = {True: [], False: []}
            _terms(compiled.matcher.query.root, True, found)
            wanted, unwanted = (include, exclude) if action == "include" else (exclude, include)
            wanted.extend(found[True])
            unwanted.extend(found[False])
        return cls(_unique(include), _unique(exclude), Tagger.of(protocol))

    def _found(self, kind: str, text: RecordText, name: str) -> list[Span]:
        if kind == "vocabulary":
            found = self.vocabularies.spans(text) if self.vocabularies is not None else []
            return _leftmost_longest([s for s in found if s.field == name])
        terms: Sequence[Term] = self.include if kind == "include" else self.exclude
        return _leftmost_longest([s for term in terms for s in find_term(term, text, (name,))])

    def spans(self, text: RecordText, name: str) -> list[tuple[str, Span]]:
        """(kind, span in the original field) for every highlighted word of a field, in order,
        without overlaps (the earlier kind in KINDS wins)."""
        if not text.folded[name]:
            return []
        taken: list[tuple[int, int]] = []
        found: list[tuple[str, Span]] = []
        for kind in KINDS:
            for span in self._found(kind, text, name):
                start, end = span.start, span.end
                if any(s < end and start < e for s, e in taken):
                    continue
                taken.append((start, end))
                found.append((kind, span))
        found.sort(key=lambda item: item[1].start)
        return found
