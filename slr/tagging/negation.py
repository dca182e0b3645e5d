"""Negated evidence: "No export activity was reported" is not evidence of exporting.

A match of a vocabulary term is negated when a negation cue (no, not, without, never, neither,
nor, none, cannot, lack of, absence of, n't ...) stands before it in the same sentence, with at
most NEGATION_WINDOW words between the cue and the term, and no contrast word (but, however,
although ...) between them: "not domestic but export markets" is about exports. "not only"
negates nothing. Pure functions over the text as written; the tagger drops negated matches, so a
tag stands only on words that affirm it.
"""

from __future__ import annotations

import re

from slr.normalize.text import fold

NEGATION_WINDOW = 4  # words between the cue and the term, at most

# single-word cues, and cues of two words (their last word is the one counted from)
_CUES = frozenset(
    ("no", "not", "without", "never", "neither", "nor", "none", "cannot", "nothing", "nobody")
)
_PAIR_CUES = frozenset((("lack", "of"), ("lacks", "of"), ("absence", "of"), ("absent", "of")))
_NOT_A_CUE_BEFORE = {"not": "only", "no": "doubt"}  # "not only X": X is affirmed
_CONTRAST = frozenset(("but", "however", "although", "though", "yet", "whereas", "instead"))
# the sentence (or keyword, or clause after a colon) a match belongs to
_BOUNDARY = re.compile(r"[.!?;:\n]")
_CONTRACTED_NOT = re.compile(r"n['’]t\b", re.IGNORECASE)  # didn't, isn't, wasn't


def negation_cue(text: str, start: int, window: int = NEGATION_WINDOW) -> str:
    """The negation cue that negates the words starting at `text[start]`, or '' when none does.

    `text` is the field as written (sentence ends are still there); the words before `start`
    in the same sentence are folded and looked through from the term backwards."""
    before = text[max(0, start - 40 * (window + 2)) : start]  # more than the window's words
    boundaries = list(_BOUNDARY.finditer(before))
    sentence = before[boundaries[-1].end() :] if boundaries else before
    words = fold(_CONTRACTED_NOT.sub(" not", sentence)).split()
    for distance, index in enumerate(range(len(words) - 1, -1, -1)):
        if distance > window:
            break
        word = words[index]
        if word in _CONTRAST:
            return ""
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in _CUES and _NOT_A_CUE_BEFORE.get(word) != following:
            return word
        if index > 0 and (words[index - 1], word) in _PAIR_CUES:
            return f"{words[index - 1]} {word}"
    return ""


def is_negated(text: str, start: int, window: int = NEGATION_WINDOW) -> bool:
    """Whether the words starting at `text[start]` are negated (see `negation_cue`)."""
    return bool(negation_cue(text, start, window))


_FOLDED_CUES = frozenset(
    (*_CUES, *(first for first, _ in _PAIR_CUES), "t")  # "t": didn't, folded "didn t"
)


def cue_before(folded: str, start: int, window: int = NEGATION_WINDOW) -> bool:
    """Whether a cue word is among the words just before `folded[start]` in folded text (where
    sentence ends are gone): False means not negated, cheaply; True means `negation_cue` on
    the text as written decides."""
    words = folded[max(0, start - 16 * (window + 2)) : start].split()
    return any(word in _FOLDED_CUES for word in words[-(window + 2) :])
