"""Document types and languages of every export, to one vocabulary each (`type:` and `lang:`
predicates, protocol eligibility, the screen)."""

from __future__ import annotations

import re
from functools import lru_cache

from slr.normalize.text import fold

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


# Scopus's DOCTYPE codes (`DOCTYPE(ar)`, `LIMIT-TO(DOCTYPE, "ar")` in a query)
SCOPUS_DOCUMENT_CODES = {
    "ar": "article",
    "ip": "article in press",
    "dp": "data paper",
    "bz": "business article",
    "re": "review",
    "sh": "short survey",
    "cp": "conference paper",
    "cr": "conference review",
    "ch": "chapter",
    "bk": "book",
    "ed": "editorial",
    "le": "letter",
    "no": "note",
    "er": "erratum",
    "rp": "report",
    "tb": "retracted",
    "ab": "abstract report",
}


def document_type_named(value: str) -> str:
    """The document type a query names, by a Scopus code (`ar`) or a name (`Article`)."""
    return canonical_type(SCOPUS_DOCUMENT_CODES.get(value.strip().lower(), value))


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
