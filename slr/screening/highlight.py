"""Which words of a record to highlight for a reviewer: include terms, exclude terms, vocabulary.

Include terms are the protocol's `screening.include_terms` and the words an include rule asks for
(or an exclude rule asks to be absent); exclude terms the other way round. Vocabulary terms are
every term of every vocabulary. Matching is the query language's: folded text, whole words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slr.protocol import Protocol
from slr.protocol.query import And, Near, Node, Not, Or, Term, term_pattern
from slr.screening.text import RecordText, Span

KINDS = ("exclude", "include", "vocabulary")  # a word in several kinds shows the first


def _terms(node: Node, positive: bool, out: dict[bool, list[str]]) -> None:
    if isinstance(node, Term):
        out[positive].append(node.pattern)
    elif isinstance(node, Near):
        out[positive].extend(t.pattern for t in (*node.left, *node.right))
    elif isinstance(node, And | Or):
        for item in node.items:
            _terms(item, positive, out)
    elif isinstance(node, Not):
        _terms(node.item, not positive, out)


def _compile(patterns: list[str]) -> re.Pattern[str] | None:
    unique = list(dict.fromkeys(p for p in patterns if p))
    return re.compile("|".join(unique)) if unique else None


@dataclass(slots=True)
class Highlighter:
    patterns: dict[str, re.Pattern[str] | None]

    @classmethod
    def of(cls, protocol: Protocol | None) -> Highlighter:
        if protocol is None:
            return cls(dict.fromkeys(KINDS))
        include = [term_pattern(t) for t in protocol.include_terms]
        exclude = [term_pattern(t) for t in protocol.exclude_terms]
        for compiled in protocol.compiled_rules():
            action = compiled.rule.action
            if action == "flag":
                continue
            found: dict[bool, list[str]] = {True: [], False: []}
            _terms(compiled.matcher.query.root, True, found)
            wanted, unwanted = (include, exclude) if action == "include" else (exclude, include)
            wanted.extend(found[True])
            unwanted.extend(found[False])
        vocabulary = [
            term_pattern(term)
            for groups in protocol.vocabularies.values()
            for terms in groups.values()
            for term in terms
        ]
        return cls(
            {
                "exclude": _compile(exclude),
                "include": _compile(include),
                "vocabulary": _compile(vocabulary),
            }
        )

    def spans(self, text: RecordText, name: str) -> list[tuple[str, Span]]:
        """(kind, span in the original field) for every highlighted word of a field, in order,
        without overlaps (the earlier kind in KINDS wins)."""
        folded = text.folded[name]
        taken: list[tuple[int, int]] = []
        found: list[tuple[str, Span]] = []
        for kind in KINDS:
            pattern = self.patterns[kind]
            if pattern is None or not folded:
                continue
            for match in pattern.finditer(folded):
                start, end = match.span()
                if end <= start or any(s < end and start < e for s, e in taken):
                    continue
                taken.append((start, end))
                found.append((kind, text.span(name, start, end)))
        found.sort(key=lambda item: item[1].start)
        return found
