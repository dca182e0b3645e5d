"""Identifiers: DOI canonical form, DOIs inside free text, ISSNs, years."""

from __future__ import annotations

import re
from urllib.parse import unquote

_DOI_PREFIX = re.compile(
    r"^\s*(?:doi\s*:?\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/|https?://[^/]+/doi/(?:abs/|full/|pdf/)?)",
    re.IGNORECASE,
)
_DOI_SHAPE = re.compile(r"^10\.\d{3,9}/\S+$")
_DOI_IN_TEXT = re.compile(r"10\.\d{3,9}/[^\s\"'<>,;{}\]\[]+", re.IGNORECASE)
_DOI_TRAILING = ".,;:)]}>'\""


def canonical_doi(value: str | None) -> str:
    """`10.xxxx/yyy` in lower case without URL prefix, or '' when the value is not a DOI."""
    if not value:
        return ""
    text = value.strip()
    if not text.startswith("10."):  # no prefix to take off (the regex was a tenth of a parse)
        text = _DOI_PREFIX.sub("", text)
    if "%" in text:
        text = unquote(text)
    text = text.strip().rstrip(_DOI_TRAILING).lower()
    if text.endswith(" [doi]"):
        text = text[:-6]
    text = text.split()[0] if text else ""
    return text if _DOI_SHAPE.match(text) else ""


def find_dois(text: str | None) -> list[str]:
    """Every distinct DOI in a free-text string (cited references, URLs, notes), in order."""
    if not text or "10." not in text:
        return []
    found: dict[str, None] = {}
    for match in _DOI_IN_TEXT.finditer(text):
        doi = canonical_doi(match.group(0))
        if doi:
            # a DOI followed by ".x" of a sentence is rare; one followed by "." is common
            found.setdefault(doi, None)
    return list(found)


_ISSN = re.compile(r"\b(\d{4})-?(\d{3}[\dXx])\b")


def canonical_issn(value: str | None) -> list[str]:
    """All ISSNs in a field, as NNNN-NNNX."""
    if not value:
        return []
    if len(value) == 8 and value.isascii() and value[:7].isdecimal():  # Scopus: "12345678"
        last = value[7]
        if last.isdecimal() or last in "Xx":
            return [f"{value[:4]}-{value[4:7]}{last.upper()}"]
    return list(dict.fromkeys(f"{a}-{b.upper()}" for a, b in _ISSN.findall(value)))


_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|21\d\d)(?!\d)")


def parse_year(value: object) -> int | None:
    """The first plausible year (1500-2199) in a value, or None."""
    if value is None:
        return None
    if isinstance(value, int):
        return value if 1500 <= value < 2200 else None
    match = _YEAR.search(str(value))
    return int(match.group(1)) if match else None
