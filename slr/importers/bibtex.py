"""BibTeX exports (Scopus, Web of Science, ACM DL, Zotero, Mendeley and any other .bib file).

bibtexparser v2 splits the text into blocks; it runs with an empty middleware stack because
its middlewares only resolve whole-value macros and cost time, while this module needs `#`
concatenation, month macros and its own LaTeX decoding anyway. Blocks bibtexparser cannot
split (unbalanced braces, `\\{` inside WoS abstracts, keys it rejects) are re-read with a
small brace-counting reader that follows BibTeX's own rules, so only truly broken entries
become failures, and the entries after them are still imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slr.importers.common import add_raw, finish_record
from slr.importers.registry import Format, register

if TYPE_CHECKING:
    from bibtexparser.model import Entry
from slr.models import Author, Failure, ImportWarning, ParseResult, Record
from slr.normalize import latex_to_unicode, parse_name, parse_year

FORMAT = "bibtex"

_MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May",
    "jun": "June", "jul": "July", "aug": "August", "sep": "September", "oct": "October",
    "nov": "November", "dec": "December",
}  # fmt: skip

# Fields whose repetition within one entry deserves a warning (only the first value is used).
_CORE_FIELDS = frozenset(
    ("title", "author", "year", "journal", "booktitle", "volume", "number", "pages", "doi")
)
_ISBN_SPLIT = re.compile(r"\s*[,;]\s*|\s+(?=\d)")
# Source title candidates, best first.
_SOURCE_FIELDS = ("journal", "journaltitle", "booktitle", "series")
# Document type candidates, best first (Scopus old, WoS/Scopus new, biblatex); else entry type.
_TYPE_FIELDS = ("document_type", "type", "entrysubtype")
_ID_FIELDS = {
    "unique-id": "wos",
    "pubmed_id": "pmid",
    "pmid": "pmid",
    "pmcid": "pmcid",
    "acmid": "acm",
    "eid": "eid",
}
_EID_IN_URL = re.compile(r"[?&]eid=(2-s2\.0-\d+)")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_ZOTERO_KEY = re.compile(r"^[a-z0-9-]*_[a-z0-9-]*_\d{0,4}(?:-\d+)?$")
_ENTRY_HEAD = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.MULTILINE)
_KNOWN_TYPES = frozenset(
    (
        "article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings",
        "manual", "mastersthesis", "misc", "phdthesis", "proceedings", "techreport",
        "unpublished", "online", "report", "thesis", "collection", "software", "dataset",
        "patent", "periodical", "electronic", "standard", "string", "comment", "preamble",
        "mvbook", "bookinbook", "suppbook", "reference", "inreference", "mvreference",
    )
)  # fmt: skip


def _decode(value: str) -> str:
    """LaTeX to Unicode, skipped for the many values without any LaTeX (finish_record and
    parse_name clean whitespace anyway)."""
    if "\\" in value or "{" in value or "}" in value or "$" in value or "--" in value:
        return latex_to_unicode(value)
    return value


class _EntryError(ValueError):
    """A block that the fallback reader cannot make sense of either."""


# --------------------------------------------------------------------------- values


def _split_concatenation(raw: str) -> list[str] | None:
    """The `#`-separated parts of a field value at brace depth 0, or None when unbalanced."""
    parts: list[str] = []
    depth = 0
    in_quotes = False
    start = 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return None
        elif ch == '"' and depth == 0:
            in_quotes = not in_quotes
        elif ch == "#" and depth == 0 and not in_quotes:
            parts.append(raw[start:i].strip())
            start = i + 1
    if depth != 0 or in_quotes:
        return None
    parts.append(raw[start:].strip())
    return parts


# @string macros are expanded when defined, each from earlier ones: no nesting to follow, but
# strings defined as `a # a` double each time, and a file of 800 bytes would ask for gigabytes.
# So macros may add at most this many characters to one @string or one entry, and, over the
# whole file, at most as many as the file holds (and at least _FILE_EXPANSION).
_MAX_EXPANSION = 1_000_000
_FILE_EXPANSION = 16_000_000


@dataclass(frozen=True, slots=True)
class _Refused:
    """An @string whose expansion was over the limit: the entries using it are rejected."""

    line: int


Macros = dict[str, str | _Refused]


class _TooLarge(ValueError):
    """Macros would make a value larger than the limit; nothing was built."""


def _atom(part: str, macros: Mapping[str, str | _Refused]) -> str:
    if len(part) >= 2 and (
        (part[0] == "{" and part[-1] == "}") or (part[0] == '"' and part[-1] == '"')
    ):
        return part[1:-1]
    if part.isdigit():
        return part
    lower = part.lower()
    value = macros.get(lower)
    if value is None:
        return _MONTHS.get(lower, part)
    if isinstance(value, _Refused):
        raise _TooLarge(f"uses @string {lower!r}, refused at line {value.line}")
    return value


def _value(raw: str, macros: Mapping[str, str | _Refused], limit: int) -> str:
    """A field's text: delimiters removed, @string macros and `#` concatenation expanded.
    Raises _TooLarge, before joining anything, when the macros would add more than `limit`
    characters to the text as written."""
    atoms = None
    if "#" in raw:
        parts = _split_concatenation(raw)
        if parts is not None and len(parts) > 1:
            atoms = [_atom(p, macros) for p in parts]  # the macros' own strings: no copies
    if atoms is None:
        atoms = [_atom(raw, macros)]
    size = sum(map(len, atoms))
    if size - len(raw) > limit:
        raise _TooLarge(
            f"@string macros would add {size - len(raw):,} characters (at most {limit:,})"
        )
    return atoms[0] if len(atoms) == 1 else "".join(atoms)


def _expand(
    fields: list[tuple[str, str]], macros: Mapping[str, str | _Refused], limit: int
) -> tuple[list[tuple[str, str]], int]:
    """An entry's (name, text) fields, and how many characters its macros added in all;
    raises _TooLarge when they would add more than `limit`."""
    expanded: list[tuple[str, str]] = []
    added = 0
    for name, raw_value in fields:
        if raw_value[:1] == "{" and raw_value[-1:] == "}" and "#" not in raw_value:
            value = raw_value[1:-1]  # most values: braced text, no macro
        else:
            value = _value(raw_value, macros, limit - added)
            added += max(0, len(value) - len(raw_value))
        expanded.append((name, value))
    return expanded, added


def _split_authors(value: str) -> list[str]:
    """Names separated by `and` outside braces (`{Smith and Sons}` is one corporate name)."""
    if "{" not in value:
        return _AND.split(value)
    names: list[str] = []
    start = 0
    for match in _AND.finditer(value):
        prefix = value[: match.start()]
        if prefix.count("{") == prefix.count("}") and match.start() >= start:
            names.append(value[start : match.start()])
            start = match.end()
    names.append(value[start:])
    return names


def _is_braced_whole(name: str) -> bool:
    """True for `{World Health Organization}`: one brace group around the whole name."""
    if len(name) < 2 or name[0] != "{" or name[-1] != "}":
        return False
    depth = 0
    for i, ch in enumerate(name):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and i != len(name) - 1:
                return False
    return True


def _authors(value: str) -> list[Author]:
    authors: list[Author] = []
    for piece in _split_authors(value):
        name = piece.strip()
        if not name or name.lower() == "others":
            continue
        if _is_braced_whole(name):
            literal = _decode(name[1:-1])
            if literal:
                authors.append(Author(literal=literal))
            continue
        author = parse_name(_decode(name))
        if author.family or author.literal:
            authors.append(author)
    return authors


def _split_list(value: str) -> list[str]:
    """Keywords: Scopus and WoS separate with ';', ACM, Zotero and Mendeley with ','."""
    separator = ";" if ";" in value else ","
    return [_decode(v) for v in value.split(separator) if v.strip()]


_ESCAPED_IN_ID = re.compile(r"\{?\\([_%&#$~])\}?")


def _unescape_id(value: str) -> str:
    """DOIs and URLs are not LaTeX text: only undo the escapes (`\\_`, `{\\_}`, `\\%`)."""
    if "\\" in value:
        value = _ESCAPED_IN_ID.sub(r"\1", value)
    if "{" in value:
        value = value.replace("{", "").replace("}", "")
    return value


_CHEAP_LATEX = (("{[}", "["), ("{]}", "]"), ("\\_", "_"), ("\\&", "&"), ("\\%", "%"))


def _reference(line: str) -> str:
    """One cited reference: WoS escapes brackets and underscores (DOIs!), so decode them."""
    if "\\" in line or "{" in line:
        for old, new in _CHEAP_LATEX:
            if old in line:
                line = line.replace(old, new)
        if "\\" in line or "{" in line or "$" in line:
            return _decode(line)
    return line.strip()


# --------------------------------------------------------------------------- records


def _entry_flavour(key: str, fields: Mapping[str, str]) -> str:
    if "unique-id" in fields or "web-of-science-index" in fields or key.startswith("WOS:"):
        return "wos"
    if (
        fields.get("source", "").strip().lower() == "scopus"
        or "abbrev_source_title" in fields
        or "scopus.com" in fields.get("url", "")
    ):
        return "scopus"
    if "acmid" in fields or (key.startswith("10.") and "numpages" in fields):
        return "acm"
    if any(name.startswith("mendeley-") for name in fields):
        return "mendeley"
    if _ZOTERO_KEY.match(key):
        return "zotero"
    return ""


# Record attributes read from the BibTeX field of the same name, and how each is decoded.
_SIMPLE_FIELDS = (
    ("doi", _unescape_id),
    ("url", _unescape_id),
    ("publisher", _decode),
    ("language", _decode),
    ("abstract", _decode),
)


def _build_record(
    entry_type: str,
    key: str,
    fields: list[tuple[str, str]],
    line: int,
    warnings: list[ImportWarning],
) -> tuple[Record | None, str]:
    """One entry's Record (None when it has no bibliographic content) and its flavour, from
    its fields with their macros expanded."""
    raw: dict[str, Any] = {"ENTRYTYPE": entry_type, "ID": key}
    values: dict[str, str] = {}  # lower-cased name -> first value
    repeated: list[str] = []
    for name, text in fields:
        if name in raw:
            add_raw(raw, name, text)
        else:
            raw[name] = text
        lower = name.lower()
        if lower in values:
            if lower in _CORE_FIELDS:
                repeated.append(name)
        else:
            values[lower] = text
    if repeated:
        repeated_names = ", ".join(repeated)
        warnings.append(
            ImportWarning(
                line, "repeated-field", f"field(s) {repeated_names} repeated; first value used"
            )
        )
    get = values.get
    flavour = _entry_flavour(key, values)

    record = Record(raw=raw, line=line)
    value = get("title")
    if value:
        record.title = _decode(value)
    value = get("author")
    if value:
        record.authors = _authors(value)
    value = get("year") or get("date")
    if value:
        record.year = parse_year(value)
    for name in _SOURCE_FIELDS:
        value = get(name)
        if value:
            record.source_title = _decode(value)
            break
    record.volume = get("volume", "")
    record.issue = get("number") or get("issue", "")
    value = get("pages")
    if value:
        record.pages = _decode(value) if "\\" in value or "{" in value else value
    for attribute, decoder in _SIMPLE_FIELDS:
        value = get(attribute)
        if value:
            setattr(record, attribute, decoder(value))
    for name in _TYPE_FIELDS:
        value = get(name)
        if value:
            record.document_type = _decode(value)
            break
    else:
        record.document_type = entry_type
    value = get("issn")
    if value:
        record.issn = [value]
        if "eissn" in values:
            record.issn.append(values["eissn"])
    value = get("isbn")
    if value:
        record.isbn = [i for i in _ISBN_SPLIT.split(value) if i]

    if flavour == "scopus":
        value = get("author_keywords")
        if value:
            record.author_keywords = _split_list(value)
        value = get("keywords")
        if value:
            record.index_keywords = _split_list(value)
        value = get("references")
        if value:
            record.cited_references = [r for r in value.split("; ") if r.strip()]
        match = _EID_IN_URL.search(record.url)
        if match:
            record.ids["eid"] = match.group(1)
    else:
        value = get("keywords") or get("author_keywords")
        if value:
            record.author_keywords = _split_list(value)
        value = get("keywords-plus")
        if value:
            record.index_keywords = _split_list(value)
        value = get("cited-references")
        if value:
            record.cited_references = [_reference(r) for r in value.split("\n")]
    ids = record.ids
    for name, id_key in _ID_FIELDS.items():
        value = get(name)
        if value:
            ids[id_key] = value.strip()
    if get("eprinttype", "").lower() in ("pubmed", "pmid") and get("eprint"):
        ids["pmid"] = get("eprint", "").strip()
    if flavour == "wos" and "wos" not in ids and key.startswith("WOS:"):
        ids["wos"] = key
    if key:
        ids["bibtex_key"] = key
    record.pmid = ids.get("pmid", "")

    if not (record.title or record.doi or record.authors):
        return None, flavour
    return finish_record(record), flavour


# --------------------------------------------------------------------------- fallback reader

_HEAD = re.compile(r"\s*@\s*([\w-]*)\s*([{(])")
_FIELD_NAME = re.compile(r"\s*([^\s=,{}()\"#]+)\s*=")
_BARE = re.compile(r"[^\s,#{}\"]+")
_BRACE = re.compile(r"[{}]")


def _matching_brace(text: str, start: int) -> int:
    """Index of the `}` closing the `{` at `start` (BibTeX counts every brace), or -1."""
    depth = 0
    for match in _BRACE.finditer(text, start):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return match.start()
    return -1


_SWALLOWED_FIELD = re.compile(r"\n[ \t]*[A-Za-z][\w-]*[ \t]*=[ \t]*[{\"\d]")
_CLOSED_ON_OWN_LINE = re.compile(r"\n[ \t]*\}$")


def _check_unclosed(fields: list[tuple[str, str]]) -> None:
    """An entry without its closing brace is usable unless a value swallowed what followed it
    (a field, or the entry's own closing brace): that is an unbalanced brace, not a lost `}`."""
    for name, value in fields:
        if _SWALLOWED_FIELD.search(value):
            raise _EntryError(f"unbalanced braces in field {name!r}")
    if fields and _CLOSED_ON_OWN_LINE.search(fields[-1][1]):
        raise _EntryError(f"unbalanced braces in field {fields[-1][0]!r}")


def _read_entry(chunk: str) -> tuple[str, str, list[tuple[str, str]], bool]:
    """(type, key, fields, closed) of the first entry of a chunk, by BibTeX's own rules."""
    head = _HEAD.match(chunk)
    if head is None:
        raise _EntryError("not an entry: expected '@type{key,'")
    close = "}" if head.group(2) == "{" else ")"
    pos = head.end()
    kind = head.group(1).lower()
    if kind in ("comment", "preamble"):
        return head.group(1), "", [], True
    if kind == "string":
        fields, closed = _read_fields(chunk, pos, close)
        return head.group(1), "", fields, closed
    comma = chunk.find(",", pos)
    closing = chunk.find(close, pos)
    header_end = min(i for i in (comma, closing, len(chunk)) if i >= 0)
    if "=" in chunk[pos:header_end] or "{" in chunk[pos:header_end]:
        raise _EntryError("entry key is not followed by a comma")
    if comma < 0 or (0 <= closing < comma):
        if closing < 0:
            raise _EntryError("entry header has no key and no closing brace")
        return head.group(1), chunk[pos:closing].strip(), [], True
    key = chunk[pos:comma].strip()
    if "\n" in key:
        raise _EntryError("entry key runs over several lines (missing comma?)")
    fields, closed = _read_fields(chunk, comma + 1, close)
    if not closed:
        _check_unclosed(fields)
    return head.group(1), key, fields, closed


_FIELD_LINE = re.compile(r"^\s*([A-Za-z][\w-]*)\s*=\s*(.*?)\s*$")


def _balanced(value: str) -> tuple[str, bool]:
    """The value without the braces that close nothing or are never closed; True if some were
    dropped."""
    kept: list[str] = []
    opened: list[int] = []  # where in `kept` each open brace is
    dropped = False
    for ch in value:
        if ch == "{":
            opened.append(len(kept))
        elif ch == "}":
            if not opened:
                dropped = True
                continue
            opened.pop()
        kept.append(ch)
    for index in reversed(opened):
        del kept[index]
        dropped = True
    return "".join(kept), dropped


def _recover_by_lines(chunk: str) -> tuple[str, str, list[tuple[str, str]], list[str]] | None:
    """An entry whose braces do not balance (EBSCO: "keywords = {Children}s Literature},"),
    read one `name = value` line at a time: (type, key, fields, fields repaired), or None
    unless its title and author lines are intact."""
    head = _HEAD.match(chunk)
    if head is None or "," not in chunk[head.end() :].split("\n", 1)[0]:
        return None
    key = chunk[head.end() :].split(",", 1)[0].strip()
    pieces: list[list[str]] = []
    for text in chunk[head.end() :].split("\n")[1:]:
        match = _FIELD_LINE.match(text)
        if match:
            pieces.append([match.group(1), match.group(2)])
        elif pieces and text.strip() not in ("", "}", ")"):
            pieces[-1][1] += " " + text.strip()
    fields, damaged = [], []
    for name, text in pieces:
        value = text.strip().rstrip(",").strip()
        if value.endswith(("}}", "})")) and value.count("}") > value.count("{"):
            value = value[:-1].rstrip(",").strip()  # the entry's own closing brace
        if (value[:1], value[-1:]) in (("{", "}"), ('"', '"')):
            value = value[1:-1]
        value, repaired = _balanced(value)
        if repaired:
            damaged.append(name)
        fields.append((name, "{" + value + "}"))
    names = {name.lower() for name, _ in fields}
    if not damaged or not {"title", "author"} <= names:
        return None
    return head.group(1), key, fields, damaged


def _read_fields(chunk: str, pos: int, close: str) -> tuple[list[tuple[str, str]], bool]:
    """The `name = value` pairs from `pos` on, and whether the closing delimiter was found."""
    found: list[tuple[str, str]] = []
    end = len(chunk)
    while True:
        while pos < end and (chunk[pos].isspace() or chunk[pos] == ","):
            pos += 1
        if pos >= end or chunk[pos] == close:
            return found, pos < end
        name_match = _FIELD_NAME.match(chunk, pos)
        if name_match is None:
            raise _EntryError(f"expected a field name at {chunk[pos : pos + 20]!r}")
        name = name_match.group(1)
        pos = value_start = name_match.end()
        while True:
            while pos < end and chunk[pos].isspace():
                pos += 1
            if pos >= end:
                raise _EntryError(f"field {name!r} has no value (entry is truncated)")
            ch = chunk[pos]
            if ch == "{":
                stop = _matching_brace(chunk, pos)
                if stop < 0:
                    raise _EntryError(f"unbalanced braces in field {name!r}")
                pos = stop + 1
            elif ch == '"':
                stop = pos + 1
                depth = 0
                while stop < end and not (chunk[stop] == '"' and depth == 0):
                    if chunk[stop] == "{":
                        depth += 1
                    elif chunk[stop] == "}":
                        depth -= 1
                    stop += 1
                if stop >= end:
                    raise _EntryError(f"unclosed quote in field {name!r}")
                pos = stop + 1
            else:
                bare = _BARE.match(chunk, pos)
                if bare is None:
                    raise _EntryError(f"field {name!r} has no value")
                pos = bare.end()
            while pos < end and chunk[pos].isspace():
                pos += 1
            if pos < end and chunk[pos] == "#":
                pos += 1
                continue
            break
        found.append((name, chunk[value_start:pos].strip()))
        if pos < end and chunk[pos] not in ("," + close):
            raise _EntryError(f"expected ',' or '{close}' after field {name!r}")


# --------------------------------------------------------------------------- parse


def _excerpt(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    return first[:60]


class _Lines:
    """1-based line numbers and line slices of the text, computed only when needed."""

    def __init__(self, text: str, offset: int = 0) -> None:
        self.text = text
        self.offset = offset  # lines of the file before this part of it
        self._starts: list[int] | None = None
        self._counted: list[int] | None = None
        # bibtexparser's count is exact unless a line ends with a backslash
        self.exact = "\\\n" not in text

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            starts.extend(m.end() for m in re.finditer("\n", self.text))
            self._starts = starts
        return self._starts

    def true_line(self, reported: int) -> int:
        """The file's line for bibtexparser's count in this part (it does not count a newline
        after a backslash)."""
        return self._part_line(reported) + self.offset

    def _part_line(self, reported: int) -> int:
        if self.exact:
            return reported + 1
        if self._counted is None:
            starts = self.starts
            text = self.text
            # index i of the i-th newline, for the newlines bibtexparser counts
            self._counted = [
                i
                for i in range(len(starts) - 1)
                if starts[i + 1] < 2 or text[starts[i + 1] - 2] != "\\"
            ]
        if reported <= 0:
            return 1
        if reported - 1 < len(self._counted):
            return self._counted[reported - 1] + 2
        return reported + 1

    def chunk(self, first: int, stop: int | None) -> str:
        """The text from file line `first` up to file line `stop` (exclusive)."""
        first -= self.offset
        stop = None if stop is None else stop - self.offset
        starts = self.starts
        begin = starts[min(first - 1, len(starts) - 1)]
        end = len(self.text) if stop is None or stop - 1 >= len(starts) else starts[stop - 1]
        return self.text[begin:end]


def _define(name: str, raw: str, line: int, state: _FileState, result: ParseResult) -> None:
    """An @string macro, expanded now; one over the limit is refused, and so are its users."""
    name = name.strip().lower()
    try:
        value = _value(raw, state.macros, min(_MAX_EXPANSION, state.expansion_left))
    except _TooLarge as error:
        state.macros[name] = _Refused(line)
        excerpt = f"@string{{{name} = {raw}"[:60]
        result.failures.append(Failure(line, f"@string {name!r} not defined: {error}", excerpt))
        return
    state.expansion_left -= max(0, len(value) - len(raw))
    state.macros[name] = value


@dataclass(slots=True)
class _FileState:
    """What one part of a file passes on to the next: macros, keys seen, flavour votes."""

    macros: Macros = field(default_factory=dict)
    expansion_left: int = _FILE_EXPANSION  # characters macros may still add in this file
    seen_keys: set[str] = field(default_factory=set)
    flavours: dict[str, int] = field(default_factory=dict)
    preamble_text: str = ""


# bibtexparser holds every block of a text with its raw copy: a large file is parsed in parts
_PART_CHARS = 4_000_000


def _parts(text: str) -> Iterator[tuple[str, int]]:
    """(part, lines before it): the text cut at entry starts into parts of about _PART_CHARS."""
    begin, lines_before = 0, 0
    while len(text) - begin > _PART_CHARS:
        cut = text.find("\n@", begin + _PART_CHARS)
        if cut < 0:
            break
        cut += 1
        yield text[begin:cut], lines_before
        lines_before += text.count("\n", begin, cut)
        begin = cut
    yield text[begin:] if begin else text, lines_before


def parse(text: str, column_map: Mapping[str, str] | None = None) -> ParseResult:
    """Every entry of a .bib text as a Record; broken entries become Failures."""
    del column_map  # BibTeX names its own fields
    result = ParseResult(FORMAT)
    state = _FileState(expansion_left=max(_FILE_EXPANSION, len(text)))
    for part, lines_before in _parts(text):
        _parse_part(part, lines_before, result, state)
    result.flavour = _file_flavour(state.flavours, state.preamble_text)
    return result


def _parse_part(text: str, lines_before: int, result: ParseResult, state: _FileState) -> None:
    # loaded here: bibtexparser (and pylatexenc) were a tenth of the start of every import
    import logging

    import bibtexparser  # loaded only to parse BibTeX
    from bibtexparser.model import (
        DuplicateBlockKeyBlock,
        DuplicateFieldKeyBlock,
        Entry,
        ExplicitComment,
        ImplicitComment,
        ParsingFailedBlock,
        Preamble,
        String,
    )

    # it logs a warning per broken block; the failures are reported through ParseResult
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)
    lines = _Lines(text, lines_before)
    try:
        blocks = bibtexparser.parse_string(text, parse_stack=[]).blocks
    except Exception:  # a bibtexparser bug: read every entry with the fallback reader
        blocks = []
        for match in _ENTRY_HEAD.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append(ParsingFailedBlock(error=ValueError("split"), start_line=line - 1))
        lines.exact = True
        result.warnings.append(
            ImportWarning(
                0, "fallback-reader", "bibtexparser could not split the file; read entry by entry"
            )
        )
    macros, seen_keys, flavours = state.macros, state.seen_keys, state.flavours
    count = len(blocks)
    for index, block in enumerate(blocks):
        if isinstance(block, (ImplicitComment, ExplicitComment, Preamble)):
            if index == 0 and not lines_before and isinstance(block, ImplicitComment):
                state.preamble_text = block.comment[:200]
            continue
        line = lines.true_line(block.start_line or 0)
        if isinstance(block, String):
            _define(block.key, str(block.value).strip(), line, state, result)
            continue
        entry: Entry | None = None
        if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
            inner = block.ignore_error_block
            if isinstance(inner, DuplicateFieldKeyBlock):
                inner = inner.ignore_error_block
            if isinstance(inner, Entry):
                entry = inner
        elif isinstance(block, Entry):
            entry = block
        if entry is not None:
            entry_type = entry.entry_type
            key = entry.key
            fields = [(f.key, str(f.value)) for f in entry.fields]
        else:  # ParsingFailedBlock: re-read the text up to the next block
            stop = None
            for later in blocks[index + 1 : count]:
                if not isinstance(later, ImplicitComment):
                    stop = lines.true_line(later.start_line or 0)
                    break
            chunk = lines.chunk(line, stop)
            try:
                entry_type, key, fields, closed = _read_entry(chunk)
            except _EntryError as exc:
                recovered = _recover_by_lines(chunk)
                if recovered is None:
                    result.failures.append(Failure(line, str(exc), _excerpt(chunk)))
                    continue
                entry_type, key, fields, damaged = recovered
                closed = True
                message = (
                    f"entry {key!r}: unbalanced braces in field(s) {', '.join(damaged)} ({exc}); "
                    "read line by line, the stray braces dropped"
                )
                result.warnings.append(ImportWarning(line, "repaired-field", message))
            entry_type = entry_type.lower()
            if entry_type == "string" and fields:
                _define(*fields[0], line, state, result)
                continue
            if entry_type in ("comment", "preamble"):
                continue
            if not closed:
                result.warnings.append(
                    ImportWarning(line, "no-end-marker", f"entry {key!r} has no closing brace")
                )
        if key in seen_keys:
            result.warnings.append(
                ImportWarning(
                    line, "repeated-key", f"key {key!r} used twice; both entries imported"
                )
            )
        seen_keys.add(key)
        try:
            expanded, added = _expand(fields, macros, min(_MAX_EXPANSION, state.expansion_left))
        except _TooLarge as error:
            result.failures.append(Failure(line, str(error), f"@{entry_type}{{{key}"[:60]))
            continue
        state.expansion_left -= added
        record, flavour = _build_record(entry_type.lower(), key, expanded, line, result.warnings)
        if record is None:
            result.failures.append(
                Failure(line, "entry has no title, DOI or authors", f"@{entry_type}{{{key}"[:60])
            )
            continue
        flavours[flavour] = flavours.get(flavour, 0) + 1
        result.records.append(record)


def _file_flavour(flavours: Mapping[str, int], preamble_text: str) -> str:
    if preamble_text.startswith("Scopus"):
        return "scopus"
    known = {k: v for k, v in flavours.items() if k}
    if not known:
        return ""
    best = max(known, key=lambda k: known[k])
    # Zotero keys are only a pattern: trust it when most entries follow it
    if best == "zotero" and known[best] * 2 < sum(flavours.values()):
        return ""
    return best


def sniff(head: str, file_name: str) -> int:
    """BibTeX from an `@type{` line; a known entry type makes it near certain."""
    del file_name
    if "@" not in head:
        return 0
    match = _ENTRY_HEAD.search(head)
    if match is None or head.count('"', 0, match.start()) % 2:
        return 0  # (an odd number of quotes before it: an entry inside a quoted CSV cell)
    return 90 if match.group(1).lower() in _KNOWN_TYPES else 40


register(
    Format(
        FORMAT,
        "BibTeX (.bib) from Scopus, Web of Science, ACM DL, Zotero, Mendeley, JabRef, ...",
        sniff,
        parse,
        ("bib", "bibtex"),
    )
)
