"""Pure text normalisation: small named steps, each idempotent and tested on its own."""

from slr.normalize.ids import canonical_doi, canonical_issn, find_dois, parse_year
from slr.normalize.names import parse_clean_name, parse_name, parse_names
from slr.normalize.text import (
    clean_pieces,
    clean_text,
    fold,
    latex_to_unicode,
    split_copyright,
    split_values,
    strip_markup,
)
from slr.normalize.words import counted, plural

__all__ = [
    "canonical_doi",
    "canonical_issn",
    "clean_pieces",
    "clean_text",
    "counted",
    "find_dois",
    "fold",
    "latex_to_unicode",
    "parse_clean_name",
    "parse_name",
    "parse_names",
    "parse_year",
    "plural",
    "split_copyright",
    "split_values",
    "strip_markup",
]
