"""A record as the rule engine reads it: folded title, abstract and keywords, canonical metadata.

Folding is `slr.normalize.fold`'s: accents and case folded, every run of punctuation or space one
space. The slow path (`fold_with_offsets`) also maps each folded character back to the original
text, so that a decision can quote the exact words that matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from slr.models import Record
from slr.normalize import fold

FIELD_SEPARATOR = "\n"  # between title, abstract and keywords in the combined text
KEYWORD_SEPARATOR = " ; "  # between keywords: a phrase cannot run from one keyword into the next

# Document types of every export, to one vocabulary (`type:` predicates use these names).
DOCUMENT_TYPES = {
    "article": "article",
    "journal article": "article",
    "jour": "article",
    "ejour": "article",
    "article in press": "article",
    "early access": "article",
    "data paper": "article",
    "review": "review",
    "review article": "review",
    "systematic review": "review",
    "conference paper": "conference paper",
    "proceedings paper": "conference paper",
    "inproceedings": "conference paper",
    "conference": "conference paper",
    "conf": "conference paper",
    "cpaper": "conference paper",
    "conference proceeding": "conference paper",
    "book chapter": "chapter",
    "chapter": "chapter",
    "incollection": "chapter",
    "inbook": "chapter",
    "chap": "chapter",
    "book": "book",
    "edited book": "book",
    "ebook": "book",
    "thesis": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "dissertation": "thesis",
    "thes": "thesis",
    "report": "report",
    "techreport": "report",
    "rprt": "report",
    "preprint": "preprint",
    "posted content": "preprint",
    "misc": "other",
    "editorial": "editorial",
    "letter": "letter",
    "note": "note",
    "erratum": "erratum",
}

LANGUAGES = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "id": "id",
    "ind": "id",
    "indonesian": "id",
    "bahasa indonesia": "id",
    "zh": "zh",
    "chi": "zh",
    "zho": "zh",
    "chinese": "zh",
    "ms": "ms",
    "may": "ms",
    "msa": "ms",
    "malay": "ms",
    "th": "th",
    "tha": "th",
    "thai": "th",
    "vi": "vi",
    "vie": "vi",
    "vietnamese": "vi",
    "es": "es",
    "spa": "es",
    "spanish": "es",
    "pt": "pt",
    "por": "pt",
    "portuguese": "pt",
    "fr": "fr",
    "fre": "fr",
    "fra": "fr",
    "french": "fr",
    "de": "de",
    "ger": "de",
    "deu": "de",
    "german": "de",
    "ja": "ja",
    "jpn": "ja",
    "japanese": "ja",
    "ko": "ko",
    "kor": "ko",
    "korean": "ko",
}


@lru_cache(maxsize=1024)
def canonical_type(value: str) -> str:
    folded = fold(value)
    return DOCUMENT_TYPES.get(folded, folded)


@lru_cache(maxsize=1024)
def canonical_language(value: str) -> str:
    # "English; Indonesian": the first language named
    first = re.split(r"[;,/]", value, maxsplit=1)[0] if value else ""
    folded = fold(first)
    return LANGUAGES.get(folded, folded)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` and, for each of its characters, the index of the original character."""
    if text.isascii():
        return _ascii_with_offsets(text)
    out: list[str] = []
    offsets: list[int] = []
    space_pending = False
    position = 0
    # runs of ASCII letters and digits at once, other characters one by one
    for match in _RUN.finditer(text):
        index = match.start()
        if index > position:  # ASCII characters that are neither letters nor digits
            space_pending = True
        position = match.end()
        run = match.group()
        if run.isascii():
            if space_pending and out:
                out.append(" ")
                offsets.append(index)
            space_pending = False
            out.append(run.lower())
            offsets.extend(range(index, position))
            continue
        for piece in _fold_char(run):
            if _is_word(piece):
                if space_pending and out:
                    out.append(" ")
                    offsets.append(index)
                space_pending = False
                out.append(piece)
                offsets.append(index)
            else:
                space_pending = True
    return "".join(out), offsets


_RUN = re.compile(r"[A-Za-z0-9]+|[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """A non-ASCII character folded: accents dropped, case folded (maybe several letters)."""
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_WORD = re.compile(r"\w")


def _is_word(char: str) -> bool:
    return char != "_" and _WORD.match(char) is not None


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def fold_fast(text: str) -> str:
    """`slr.normalize.fold`, with a shortcut for ASCII text (most titles and abstracts)."""
    if text.isascii():
        return " ".join(_ASCII_WORD.findall(text.lower()))
    # `fold` drops the combining marks one character at a time; here only the non-ASCII
    # characters are looked at, each once
    decomposed = unicodedata.normalize("NFKD", text)
    marks = {ord(c): None for c in set(_NON_ASCII.findall(decomposed)) if unicodedata.combining(c)}
    stripped = decomposed.translate(marks) if marks else decomposed
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NON_WORD = re.compile(r"[^\w]+")  # as `slr.normalize.fold`'s


def _ascii_with_offsets(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    offsets: list[int] = []
    for match in _ASCII_WORD.finditer(text.lower()):
        if out:
            out.append(" ")
            offsets.append(match.start())
        out.append(match.group())
        offsets.extend(range(match.start(), match.end()))
    return "".join(out), offsets


def _join_keywords(keywords: list[str]) -> str:
    return KEYWORD_SEPARATOR.join(k for k in (fold_fast(k) for k in keywords) if k)


@dataclass(slots=True)
class Span:
    """Evidence for a decision: where the words matched, as offsets into the original field."""

    field: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


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

    @classmethod
    def of(cls, record_id: int, record: Record) -> RecordText:
        keywords = [*record.author_keywords, *record.index_keywords]
        folded = {
            "title": fold_fast(record.title),
            "abstract": fold_fast(record.abstract),
            "keywords": _join_keywords(keywords),
        }
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
        )

    def original(self, name: str) -> str:
        if name == "keywords":
            joined = self.cache.get("original:keywords")
            if joined is None:
                joined = self.cache["original:keywords"] = "; ".join(
                    k for k in self.keywords if fold_fast(k)
                )
            return joined
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
        words = _ASCII_WORD.finditer(original.lower())
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
