"""The records every importer produces and the store keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Author:
    """An author name as the export gave it; `literal` holds a corporate or unsplittable name."""

    family: str = ""
    given: str = ""
    literal: str = ""

    @property
    def display(self) -> str:
        if self.literal:
            return self.literal
        return f"{self.family}, {self.given}" if self.given else self.family

    def to_dict(self) -> dict[str, str]:
        data = {}
        if self.family:
            data["family"] = self.family
        if self.given:
            data["given"] = self.given
        if self.literal:
            data["literal"] = self.literal
        return data

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Author:
        return cls(data.get("family", ""), data.get("given", ""), data.get("literal", ""))


@dataclass(slots=True)
class Record:
    """One bibliographic entry of one export file, normalised but with every raw field kept.

    `raw` maps each original field name (tag, column, key) to its value, or to a list of values
    when the field repeats, so that nothing in an export is ever lost.
    `ids` holds the database's own identifiers: eid, wos, pmid, pmcid, lens, openalex, dimensions,
    ebsco, embase, proquest, ieee, ...
    """

    title: str = ""
    authors: list[Author] = field(default_factory=list)
    year: int | None = None
    source_title: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    issn: list[str] = field(default_factory=list)
    isbn: list[str] = field(default_factory=list)
    abstract: str = ""
    copyright: str = ""
    author_keywords: list[str] = field(default_factory=list)
    index_keywords: list[str] = field(default_factory=list)
    language: str = ""
    document_type: str = ""
    url: str = ""
    publisher: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    cited_references: list[str] = field(default_factory=list)
    cited_dois: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    line: int = 0  # 1-based line of the file where the entry starts (0 when unknown)


@dataclass(slots=True)
class Failure:
    """An entry that could not be imported: where it is and why."""

    line: int
    reason: str
    excerpt: str = ""

    def describe(self, file_name: str) -> str:
        where = f"{file_name}:{self.line}" if self.line else file_name
        tail = f" [{self.excerpt}]" if self.excerpt else ""
        return f"{where}: {self.reason}{tail}"


@dataclass(slots=True)
class ImportWarning:
    """Something an import noticed and did not refuse, as data: where, what kind, what.

    `line` is 0 when the warning concerns the whole file; `file` is filled in by the import
    (a parser sees only text). `kind` is a short name to count and filter by: encoding,
    mojibake, nul-byte, repaired-field, repeated-field, repeated-key, no-end-marker, glued-tag,
    stray-lines, truncated, cut-short, missing-id, skipped-note, vendor-note, no-records,
    fallback-reader, database-unknown.
    """

    line: int
    kind: str
    message: str
    file: str = ""

    def describe(self) -> str:
        """The warning as "file:line: message", the way a compiler says it."""
        where = [self.file] if self.file else []
        if self.line:
            where.append(str(self.line) if self.file else f"line {self.line}")
        return ": ".join([":".join(where), self.message] if where else [self.message])

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "kind": self.kind, "message": self.message}


@dataclass(slots=True)
class ParseResult:
    """What an importer parsed and what it could not: failures are data, not exceptions."""

    format: str
    records: list[Record] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[ImportWarning] = field(default_factory=list)
    flavour: str = ""  # the vendor an export came from when the content tells (scopus, wos, ...)


# -- screening: what was decided, as the store hands it to the one status resolver --------------

STAGES = ("title_abstract", "full_text")


@dataclass(slots=True)
class HumanDecision:
    """One reviewer's decision on a record at a stage ("maybe" is a person's flag)."""

    reviewer: str
    decision: str  # include | exclude | maybe
    reason: str = ""
    note: str = ""


@dataclass(slots=True)
class StageDecisions:
    """Every decision recorded at one stage, by record id."""

    humans: dict[int, list[HumanDecision]] = field(default_factory=dict)
    rules: dict[int, tuple[str, str]] = field(
        default_factory=dict
    )  # (include|exclude|flag, reason)
    resolutions: dict[int, tuple[str, str]] = field(default_factory=dict)  # (decision, reason)
    # records nobody screened, excluded when the stopping rule was met -> the rule's name
    stopped: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True)
class DecisionSnapshot:
    """Everything the status of every record depends on, read at one moment."""

    records: list[int]  # every record id, in id order
    duplicate_of: dict[int, int]  # records marked duplicate -> the record kept
    stages: dict[str, StageDecisions]
    not_retrieved: dict[int, str]  # full texts that could not be retrieved -> why


# -- evidence: the words a rule, a tag or a highlight points at -------------------------------

TEXT_FIELDS = ("title", "abstract", "keywords")  # the fields rules and tags read, in order
MAX_EVIDENCE = 10  # spans kept per tag (the first ones, title first)


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
    """A vocabulary group found in a record, with the evidence that justifies it."""

    vocabulary: str
    group: str
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.vocabulary}.{self.group}"


@dataclass(slots=True)
class AutoDecision:
    """What one rule decided about one record at one stage, and why."""

    record_id: int
    stage: str
    decision: str
    reason: str
    rule_id: str
    evidence: list[Span]

    @property
    def reviewer(self) -> str:
        return f"auto:{self.rule_id}"

    @property
    def span(self) -> Span | None:
        textual = [s for s in self.evidence if s.field in TEXT_FIELDS and s.text]
        if textual:
            return min(textual, key=lambda s: (TEXT_FIELDS.index(s.field), s.start))
        return self.evidence[0] if self.evidence else None
