"""A record as the rule engine reads it: folded title, abstract and keywords, canonical metadata.

Folding is `slr.normalize.fold`'s: accents and case folded, every run of punctuation or space one
space. Its twin `fold_with_offsets` also maps each folded character back to the original text, so
that a decision, a tag or a highlight quotes the exact words that matched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from slr.models import Record, Span
from slr.normalize.metadata import canonical_language, canonical_type
from slr.normalize.text import ASCII_WORD, fold, fold_with_offsets
from slr.store.connection import Connection
from slr.store.screening import load_text_records

FIELD_SEPARATOR = "\n"  # between title, abstract and keywords in the combined text
KEYWORD_SEPARATOR = " ; "  # between keywords: a phrase cannot run from one keyword into the next
AUTHOR_SEPARATOR = "; "  # between authors ("Sun, Y.; Tan, M.")


def _join_keywords(keywords: list[str]) -> str:
    return KEYWORD_SEPARATOR.join(k for k in (fold(k) for k in keywords) if k)


class _Folded(dict[str, str]):
    """The folded fields: title, abstract and keywords at once; authors and the source title
    only when a query first asks for them (`AUTH(...)`, `SRCTITLE(...)`), as most never do."""

    def __init__(self, now: dict[str, str], later: dict[str, str]) -> None:
        super().__init__(now)
        self.later = later

    def __missing__(self, name: str) -> str:
        folded = self[name] = fold(self.later[name])  # (a KeyError for an unknown field)
        return folded


@dataclass(slots=True)
class RecordText:
    """What rules see of one record. Build it once per record; every rule reuses it."""

    id: int
    title: str
    abstract: str
    keywords: list[str]
    year: int | None
    language: str
    document_type: str
    doi: str
    folded: dict[str, str]
    combined: str
    cache: dict[str, Any] = field(default_factory=dict)
    authors: str = ""  # "Family, Given; Family, Given", as `slr show` lists them
    source: str = ""  # the journal, book or proceedings title

    @classmethod
    def of(cls, record_id: int, record: Record) -> RecordText:
        keywords = [*record.author_keywords, *record.index_keywords]
        authors = AUTHOR_SEPARATOR.join(author.display for author in record.authors)
        folded = _Folded(
            {
                "title": fold(record.title),
                "abstract": fold(record.abstract),
                "keywords": _join_keywords(keywords),
            },
            {"authors": authors, "source": record.source_title},
        )
        return cls(
            record_id,
            record.title,
            record.abstract,
            keywords,
            record.year,
            canonical_language(record.language),
            canonical_type(record.document_type),
            record.doi,
            folded,
            FIELD_SEPARATOR.join(folded.values()),
            authors=authors,
            source=record.source_title,
        )

    def original(self, name: str) -> str:
        if name == "keywords":
            joined = self.cache.get("original:keywords")
            if joined is None:
                joined = self.cache["original:keywords"] = "; ".join(
                    k for k in self.keywords if fold(k)
                )
            return joined
        if name == "authors":
            return self.authors
        if name == "source":
            return self.source
        return self.title if name == "title" else self.abstract

    def span(self, name: str, start: int, end: int) -> Span:
        """The original words behind folded[name][start:end]."""
        folded = self.folded[name]
        original = self.original(name)
        key = "offsets:" + name
        to_original = self.cache.get(key)
        if to_original is None:
            to_original = self.cache[key] = _offset_map(name, original, self.keywords, folded)
        if to_original is None or end <= start or end > len(folded):
            return Span(name, start, end, folded[start:end])  # fall back to the folded words
        first, last = to_original(start), to_original(end - 1) + 1
        return Span(name, first, last, original[first:last])


def _offset_map(
    name: str, original: str, keywords: list[str], folded: str
) -> Callable[[int], int] | None:
    """A function from a position in folded text to the position of its original character."""
    if name != "keywords" and original.isascii():
        # ASCII: folding only lower-cases the words and joins them with one space, so the k-th
        # word of the folded text is the k-th word of the original
        words = ASCII_WORD.finditer(original.lower())
        starts: list[int] = []  # where the words start, as far as asked

        def ascii_map(offset: int) -> int:
            word = folded.count(" ", 0, offset)
            word_start = folded.rfind(" ", 0, offset) + 1
            while len(starts) <= word:
                starts.append(next(words).start())
            return starts[word] + offset - word_start

        return ascii_map
    if name == "keywords":
        mapped, offsets = _keywords_with_offsets(keywords)
    else:
        mapped, offsets = fold_with_offsets(original)
    if mapped != folded:
        return None
    return offsets.__getitem__


def _keywords_with_offsets(keywords: list[str]) -> tuple[str, list[int]]:
    out: list[str] = []
    offsets: list[int] = []
    base = 0
    for keyword in keywords:
        folded, mapped = fold_with_offsets(keyword)
        if not folded:
            continue
        if out:
            out.append(KEYWORD_SEPARATOR)
            offsets.extend([base - 2] * len(KEYWORD_SEPARATOR))
        out.append(folded)
        offsets.extend(map(base.__add__, mapped))
        base += len(keyword) + 2  # "; " in the original joined text
    return "".join(out), offsets


def load_texts(db: Connection, authors: bool = False) -> Iterator[RecordText]:
    """Every record not marked duplicate, as rules and tags read it, in id order; with
    `authors` (a query that searches them, `names_scoped_fields`), their authors too."""
    for record_id, record in load_text_records(db, authors):
        yield RecordText.of(record_id, record)
