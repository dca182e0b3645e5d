"""Matching features of one record: normalised title, authors, numbers, identifiers, kind flags."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from slr.models import Record
from slr.normalize import canonical_doi, fold, latex_to_unicode, strip_markup

# Words of a title that mark a notice about another work rather than the work itself.
_NOTICE = re.compile(
    r"^(?:erratum|errata|corrigendum|corrigenda|correction|retraction|retracted|withdrawn|"
    r"expression of concern|reply|response|comment|commentary|author s reply|authors reply|"
    r"in reply|letter)\b|\b(?:erratum|corrigendum|retraction (?:note|notice)|notice of retraction|"
    r"expression of concern|comment on|comments on|commentary on|"
    r"correction to|retraction of)\b|"
    r"\b(?:author s reply|authors reply|reply|response|comment|erratum|corrigendum|correction)$"
)
# A correction notice that cites the corrected article in its title, as Web of Science and
# Embase print it: 'Title (vol 85, pg 553, 2010)', 'Title (Journal (2009) 360 (542-544))'.
_CITED_ARTICLE = re.compile(
    r"\((?:vol \d+[^()]*\bpg \d+[^()]*|[^()]*\(\d{4}\)\s*\d+\s*\(\s*[a-z]?\d+[^()]*\))\)\s*\.?\s*$",
    re.IGNORECASE,
)
# What a notice's title says around the title of the article it is about: 'Erratum to:', and a
# citation of that article at the end, whole or cut off by the database ('(The Journal of P')
_NOTICE_LEAD = re.compile(
    r"^(?:erratum|errata|corrigendum|corrigenda|correction|retraction|retraction note|"
    r"notice of retraction|expression of concern)(?: (?:to|of|for|on))?\s*[:.-]?\s*",
    re.IGNORECASE,
)
_CITATION_TAIL = re.compile(r"\s*\((?:[^()]++|\([^()]*+\)?)*+$")
# MEDLINE marks a word it corrected inside the title: 'cisplatin or carboplatin [corrected], with'
_CORRECTED = re.compile(r"\s*\[corrected\]", re.IGNORECASE)
# Embase names a meeting's supplement 'Journal. Conference: 15th Meeting ...': the journal is
# the part before it
_MEETING_TAIL = re.compile(r"\.\s*conference\s*:.*$", re.IGNORECASE)
# Words of an author 'name' that make it a group: 'Group, ASCUS LSIL Triage Study'
_CORPORATE = re.compile(
    r"\b(?:group|study|consortium|investigators|collaborat\w*|committee|trial|network|society|"
    r"association|working party|team)\b"
)
_PART = re.compile(
    r"\b(?:part|pt|teil|partie|parte|phase|study|paper)\s+([ivx]{1,5}|\d{1,3}|[a-d])\b"
)
_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
}
_CONFERENCE = re.compile(
    r"\b(?:conference|congress|symposium|meeting|annual meeting|workshop|"
    r"abstracts?|supplement|suppl|poster|convention|colloquium|summit)\b"
)
_PREPRINT_DOI = (
    "10.1101/",
    "10.48550/",
    "10.2139/ssrn",
    "10.21203/rs",
    "10.20944/preprints",
    "10.31234/",
    "10.31219/",
    "10.31235/",
    "10.22541/au",
    "10.36227/techrxiv",
)
_PREPRINT_SOURCE = re.compile(
    r"\b(?:arxiv|biorxiv|medrxiv|ssrn|preprints?|research square|psyarxiv|socarxiv|osf preprints|"
    r"techrxiv|authorea)\b"
)
_LANGUAGES = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "de": "de",
    "ger": "de",
    "deu": "de",
    "german": "de",
    "fr": "fr",
    "fre": "fr",
    "fra": "fr",
    "french": "fr",
    "es": "es",
    "spa": "es",
    "spanish": "es",
    "it": "it",
    "ita": "it",
    "italian": "it",
    "pt": "pt",
    "por": "pt",
    "portuguese": "pt",
    "ru": "ru",
    "rus": "ru",
    "russian": "ru",
    "uk": "uk",
    "ukr": "uk",
    "ukrainian": "uk",
    "zh": "zh",
    "chi": "zh",
    "zho": "zh",
    "chinese": "zh",
    "ja": "ja",
    "jpn": "ja",
    "japanese": "ja",
    "nl": "nl",
    "dut": "nl",
    "nld": "nl",
    "dutch": "nl",
    "pl": "pl",
    "pol": "pl",
    "polish": "pl",
    "ko": "ko",
    "kor": "ko",
    "korean": "ko",
    "tr": "tr",
    "tur": "tr",
    "turkish": "tr",
}
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "in",
        "on",
        "for",
        "to",
        "with",
        "by",
        "from",
        "at",
        "as",
        "or",
        "is",
        "are",
        "its",
        "into",
        "der",
        "die",
        "das",
        "und",
        "la",
        "le",
        "les",
        "de",
        "des",
        "du",
        "el",
        "los",
        "et",
    ]
)


def _script(text: str) -> str:
    """The dominant non-Latin script of a text, or 'latin'."""
    counts: dict[str, int] = {}
    for ch in text:
        code = ord(ch)
        if code < 0x250:
            name = "latin" if ch.isalpha() else ""
        elif 0x370 <= code < 0x400:
            name = "greek"
        elif 0x400 <= code < 0x530:
            name = "cyrillic"
        elif 0x590 <= code < 0x700:
            name = "hebrew-arabic"
        elif 0x3040 <= code < 0x3100:
            name = "kana"
        elif 0x4E00 <= code < 0xA000:
            name = "han"
        elif 0xAC00 <= code < 0xD7B0:
            name = "hangul"
        else:
            name = "other" if ch.isalpha() else ""
        if name:
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return ""
    return max(counts, key=lambda k: counts[k])


def norm_text(value: str) -> str:
    """Title or abstract for matching: LaTeX, HTML/JATS, unicode, case, punctuation folded."""
    if not value:
        return ""
    text = value
    if "\\" in text or "{" in text:
        text = latex_to_unicode(text)
    if "<" in text or "&" in text:
        text = strip_markup(text)
    return fold(text)


_NOTE = re.compile(r"erratum|comment|review|refs|retract|correct|published|see ", re.IGNORECASE)
# MEDLINE notes about other records: '.[Erratum appears in ...]', '[Comment in: ...]'
_NOTE_START = re.compile(
    r"\.?\s*\[(?:erratum|corrected|comment|retraction|retracted|published erratum|update)",
    re.IGNORECASE,
)
_BRACKET_TAIL = re.compile(r"\s*\[[^\[\]]{6,}\]?\s*\.?\s*$")


def _without_bracket_tail(title: str) -> tuple[str, str]:
    """'Title.[Erratum appears in ...]' or 'English title [Original title]' -> 'Title', tail."""
    note = _NOTE_START.search(title)
    if note and note.start() >= 20:
        return title[: note.start()], ""
    match = _BRACKET_TAIL.search(title)
    if not match or match.start() < 20:
        return title, ""
    return title[: match.start()], match.group().strip(" .[]")


def _main_title(title: str) -> str:
    # '; ' parts a bilingual title: 'English title; Titulo original'
    for sep in (": ", " - ", " -- ", " – ", " — ", ". ", "? ", "; "):
        head, found, _ = title.partition(sep)
        if found and len(head) >= 20:
            return head
    return title


def _number(value: str) -> str:
    match = _DIGITS.search(value or "")
    return match.group().lstrip("0") or "0" if match else ""


def _volume(value: str, year: int | None) -> str:
    """Volume number; a fragment ('3)' cut from '30(Suppl 3)') or the year itself is not one."""
    text = (value or "").strip()
    if text.endswith(")") and "(" not in text:
        return ""
    number = _number(text)
    if number and year is not None and number == str(year):
        return ""
    return number


def _issue(value: str) -> str:
    """Issue number; running numbers above 60 are too often an export's record number to trust."""
    number = _number(value)
    return number if number and int(number) <= 60 else ""


def _pages(value: str) -> tuple[str, str]:
    """First and last page as digit strings: '221-8' -> ('221', '228')."""
    numbers = _DIGITS.findall(value or "")
    if not numbers:
        return "", ""
    lead = value[: value.find(numbers[0])]
    if sum(ch.isalpha() for ch in lead) >= 3:  # 'Suppl-48': only the last page is known
        return "", numbers[-1].lstrip("0") or "0"
    first = numbers[0].lstrip("0") or "0"
    if len(numbers) < 2:
        return first, ""
    last = numbers[1].lstrip("0") or "0"
    if len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    if len(last) == len(first) and int(last) < int(first):
        # '2297-2108': a typo in one of the two numbers; the last page alone is kept
        return "", last
    return first, last


def _page_kind(value: str) -> str:
    match = _DIGITS.search(value or "")
    if not match:
        return ""
    return "".join(ch for ch in value[: match.start()].casefold() if ch.isalpha())


def _language(value: str) -> str:
    token = fold(value).split(" ")[0] if value else ""
    return _LANGUAGES.get(token, token)


@dataclass(slots=True)
class Features:
    """Everything the matcher compares, computed once per record."""

    id: int
    title: str = ""
    main_title: str = ""
    alt_title: str = ""  # the original-language title a database gives in brackets
    script: str = ""
    language: str = ""
    authors: str = ""  # surnames, folded, space-joined in order
    authors_compact: str = ""  # the same with each surname's spaces removed ('le niak')
    first_author: str = ""
    first_surname: str = ""
    author_count: int = 0
    author_tokens: frozenset[str] = frozenset()
    year: int | None = None
    volume: str = ""
    issue: str = ""
    first_page: str = ""
    last_page: str = ""
    page_kind: str = ""  # letters before the number: e (article id), s (supplement), ...
    doi: str = ""
    pmid: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    journal: str = ""
    abstract: str = ""
    notice: bool = False
    notice_core: str = ""  # a notice's title without 'Erratum:' and the citation it ends with
    corporate: bool = False  # every author is a group ('Group, ASCUS LSIL Triage Study')
    part: int | None = None
    conference: bool = False
    preprint: bool = False
    completeness: int = 0


def _part(title: str) -> int | None:
    match = _PART.search(title)
    if not match:
        return None
    token = match.group(1)
    if token.isdigit():
        return int(token)
    if token in _ROMAN:
        return _ROMAN[token]
    return ord(token) - ord("a") + 1


def _is_conference(record: Record, journal: str) -> bool:
    kind = fold(record.document_type)
    entry = fold(str(record.raw.get("ENTRYTYPE", "") or record.raw.get("ref-type@name", "")))
    if any(word in f"{kind} {entry}" for word in ("conference", "proceeding", "meeting")):
        return True
    if entry == "inproceedings" or record.raw.get("booktitle"):
        return True
    return bool(journal and _CONFERENCE.search(journal))


def features(record_id: int, record: Record) -> Features:
    title_text = record.title
    if "[" in title_text and "corrected]" in title_text.casefold():
        title_text = _CORRECTED.sub("", title_text)
    original, tail = _without_bracket_tail(title_text) if "[" in title_text else (title_text, "")
    title = norm_text(original)
    alt_title = norm_text(tail) if len(tail) >= 20 and not _NOTE.search(tail) else ""
    journal = norm_text(record.source_title)
    journal_only = norm_text(_MEETING_TAIL.sub("", record.source_title)) if journal else ""
    surnames = []
    corporate = bool(record.authors)
    tokens: set[str] = set()
    for author in record.authors:
        name = fold(author.family or author.literal)
        if name:
            surnames.append(name)
            given = fold(author.given)
            tokens.update(t for t in f"{name} {given}".split(" ") if len(t) > 1)
            corporate = corporate and bool(_CORPORATE.search(f"{name} {given}"))
    doi = canonical_doi(record.doi)
    first, last = _pages(record.pages)
    notice = bool(title and (_NOTICE.search(title) or _CITED_ARTICLE.search(original)))
    core = ""
    if notice:
        text = _CITED_ARTICLE.sub("", original)
        if not text.rstrip().endswith(")"):
            text = _CITATION_TAIL.sub("", text)
        core = norm_text(_NOTICE_LEAD.sub("", text.strip()))
    completeness = sum(
        1
        for value in (
            record.title,
            record.authors,
            record.year,
            record.source_title,
            record.volume,
            record.issue,
            record.pages,
            record.doi,
            record.pmid,
            record.abstract,
            record.issn,
            record.language,
            record.author_keywords,
            record.publisher,
            record.url,
        )
        if value
    ) * 1000 + min(len(record.abstract), 999)
    return Features(
        id=record_id,
        title=title,
        main_title=norm_text(_main_title(original)) if title else "",
        alt_title=alt_title,
        script=_script(record.title),
        language=_language(record.language),
        authors=" ".join(surnames),
        authors_compact=" ".join(name.replace(" ", "") for name in surnames),
        first_author=surnames[0].split(" ")[0] if surnames else "",
        first_surname=surnames[0].replace(" ", "") if surnames else "",
        author_count=len(surnames),
        author_tokens=frozenset(tokens),
        year=record.year,
        volume=_volume(record.volume, record.year),
        issue=_issue(record.issue),
        first_page=first,
        last_page=last,
        page_kind=_page_kind(record.pages),
        doi=doi,
        pmid=(record.pmid or record.ids.get("pmid", "")).strip(),
        ids={k: v for k, v in record.ids.items() if v and k not in ("endnote", "pmid")},
        journal=journal_only or journal,
        abstract=norm_text(record.abstract)[:600],
        notice=notice,
        notice_core=core,
        corporate=corporate,
        part=_part(title),
        conference=_is_conference(record, journal),
        preprint=doi.startswith(_PREPRINT_DOI) or bool(_PREPRINT_SOURCE.search(journal)),
        completeness=completeness,
    )


def significant_tokens(title: str) -> list[str]:
    return [t for t in title.split(" ") if t not in _STOP and len(t) > 1]


def compact(text: str) -> str:
    return _SPACE.sub("", text)


def journal_match(x: str, y: str) -> bool:
    """Same journal, also when one side abbreviates ('curr opin lipidol')."""
    if not x or not y:
        return False
    if fuzz.ratio(x, y) >= 88:
        return True
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    words = [w for w in long.split(" ") if w not in ("of", "the", "and", "in", "for", "on", "j")]
    abbrev = [w for w in short.split(" ") if w not in ("of", "the", "and", "in", "for", "on", "j")]
    if not abbrev or len(abbrev) > len(words):
        return False
    k = 0
    for word in words:
        if k < len(abbrev) and word.startswith(abbrev[k]):
            k += 1
    return k == len(abbrev)
