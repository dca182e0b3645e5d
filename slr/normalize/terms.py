"""What a term matches: the one compiler behind rules, `slr query`, vocabularies and highlighting.

A term is matched in folded text (`slr.normalize.fold`: case, accents and compatibility forms
folded, every run of punctuation or space one space), on word boundaries:

- `*` is any letters, `?` one letter, `$` none or one (`influencer*`, `organi?ation`,
  `behavio$r`);
- hyphens and spaces are interchangeable and may be left out (`e-commerce` = `e commerce` =
  `ecommerce`), so a term of several words is also a phrase;
- the last word of a term, unless it has a wildcard, also matches its plural, -ing and -ed forms
  (`influencer` -> `influencers`, `live stream` -> `live streaming`, `study` -> `studies`).

An `exact` term is an abbreviation matched in the text as written, with its case (`SME` matches
"SME" and "SMEs", not "sme" or "PSME"); hyphens and spaces are interchangeable there too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from slr.normalize.text import fold_with_offsets

WILDCARDS = {"*": r"\w*", "?": r"\w", "$": r"\w?"}
_WILDCARD = re.compile(r"[*?$]")
_VOWELS = "aeiou"


def term_words(term: str) -> list[str]:
    """The words of a term as `fold` folds them, wildcards kept:
    `Cross-Border e-Commerce*` -> ['cross', 'border', 'e', 'commerce*']."""
    folded, _offsets = fold_with_offsets(term, keep="".join(WILDCARDS))
    return folded.split()


def _changes_last_letter(word: str) -> bool:
    """Whether an inflection of the word changes its last letter (live -> living, study ->
    studies); any other inflection keeps the word whole."""
    return (
        len(word) >= 3
        and word.isalpha()
        and (word.endswith("e") or (word.endswith("y") and word[-2] not in _VOWELS))
    )


def _inflect(word: str) -> str:
    """A regex for a folded word and its plural, -ing and -ed forms."""
    escaped = re.escape(word)
    if len(word) < 3 or not word.isalpha():
        return escaped + "s?"
    if _changes_last_letter(word):
        stem = re.escape(word[:-1])
        return stem + ("(?:e|es|ed|ing)" if word.endswith("e") else "(?:y|ys|ies|ied|ying)")
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return escaped + "(?:s|es|ed|ing)?"
    double = ""
    if word[-1] not in _VOWELS + "wy" and word[-2] in _VOWELS and word[-3] not in _VOWELS:
        double = "|" + re.escape(word[-1]) + "(?:ing|ed)"  # shop -> shopping
    return escaped + f"(?:s|es|ing|ed{double})?"


def _word_regex(word: str, last: bool) -> str:
    if _WILDCARD.search(word):
        return "".join(WILDCARDS.get(c, re.escape(c)) for c in word)
    return _inflect(word) if last else re.escape(word)


def term_pattern(term: str) -> str:
    """The regex a term matches in folded text (see the module's docstring); "" when the term
    has neither a letter nor a wildcard."""
    words = term_words(term)
    if not words:
        return ""
    body = " ?".join(_word_regex(w, i == len(words) - 1) for i, w in enumerate(words))
    # \b, not lookarounds: folded text holds only letters, digits and separators, so the two
    # agree, and Python's regex engine searches \b-anchored alternatives several times faster
    return rf"\b{body}\b"


def search_pattern(term: str) -> str:
    """`term_pattern(term)` written to start with the term's first letters: the same matches,
    found much faster (the regular expression engine looks for a literal start as for a piece of
    text, where it tries `\\b` at every position)."""
    pattern = term_pattern(term)
    words = term_words(term)
    if not pattern:
        return pattern
    body = pattern[2:]  # after the leading \b
    lead = _WILDCARD.split(words[0])[0]
    while lead:
        escaped = re.escape(lead)
        if body.startswith(escaped) and body[len(escaped) : len(escaped) + 1] not in "?*+{":
            break
        lead = lead[:-1]
    if not lead:
        return pattern
    # `\b` before a letter: no letter before it, which a look-behind checks after the letters
    return escaped + rf"(?<!\w.{{{len(lead)}}})" + body[len(escaped) :]


def _pieces(term: str) -> list[str]:
    """Pieces of folded text every match of a term contains, one per word."""
    words = term_words(term)
    pieces = []
    for index, word in enumerate(words):
        if _WILDCARD.search(word):
            piece = max(_WILDCARD.split(word), key=len)  # the longest run between wildcards
        elif index == len(words) - 1 and _changes_last_letter(word):
            piece = word[:-1]
        else:
            piece = word
        pieces.append(piece)
    return pieces


def literal_of(term: str) -> str:
    """A piece of folded text every match of a term contains (a fast prefilter)."""
    pieces = _pieces(term)
    return max(pieces, key=len) if pieces else ""


def needs_of(term: str) -> frozenset[str]:
    """Pieces of folded text every match of a term contains (a stronger prefilter than
    `literal_of`: `online export*` needs both `online` and `export`): all but those another piece
    contains, and but short ones (`of`, `the`: in every text) when there are longer ones."""
    pieces = {p for p in _pieces(term) if p}
    longer = {p for p in pieces if len(p) > 3}
    if longer:
        pieces = longer
    return frozenset(p for p in pieces if not any(p in q for q in pieces if q != p))


def exact_pattern(term: str) -> str:
    """An abbreviation in the text as written: case kept, `s` plural allowed, hyphens and spaces
    interchangeable, whole words."""
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", term.strip()) if p]
    if not parts:
        return ""
    return r"(?<![^\W_])" + r"[\s\-]?".join(parts) + r"s?(?![^\W_])"


def exact_literal(term: str) -> str:
    """Text as written that every match of an exact term contains (a prefilter)."""
    return re.split(r"[\W_]+", term.strip())[0]


@dataclass(frozen=True, slots=True)
class CompiledTerm:
    """A term compiled once: its regex (over folded text, or over the text as written when
    `exact`), and what every match contains, to rule texts out before the regex runs."""

    text: str
    exact: bool
    # `search_pattern`'s form (exact_pattern's when exact): alternatives of these stay led by
    # letters, which the regex engine scans for, where `\b` makes it try every position
    pattern: str
    regex: re.Pattern[str]
    literal: str  # folded text (as written when exact) in every match; "" when none is known
    needs: frozenset[str]  # `needs_of` (folded terms only)


@lru_cache(maxsize=4096)
def compile_term(text: str, exact: bool = False) -> CompiledTerm | None:
    """The compiled term, or None when it has nothing to search for (no letter, no wildcard)."""
    if exact:
        pattern = exact_pattern(text)
        literal, needs = exact_literal(text), frozenset[str]()
    else:
        pattern = search_pattern(text)
        literal, needs = literal_of(text), needs_of(text)
    if not pattern:
        return None
    return CompiledTerm(text, exact, pattern, re.compile(pattern), literal, needs)
