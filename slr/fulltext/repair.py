"""Small pure repairs of extracted text: ligature glyphs and words hyphenated at a line end."""

from __future__ import annotations

import re

# Presentation forms a PDF's fonts put in the text layer for typeset ligatures (U+FB00-FB06).
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
_LIGATURE = re.compile("[" + "".join(LIGATURES) + "]")

# A lower-case word part, a hyphen (or soft hyphen) at the end of its line, and the word's rest
# in lower case at the start of the next line: "infor-\nmation" is one word cut by the layout.
# A capital after the break ("Anglo-\nSaxon") or a digit keeps its hyphen.
_HYPHEN_BREAK = re.compile(
    r"(?<=[^\W\d_])[-\u00ad\u2010][ \t]*\n[ \t]*([^\W\d_A-Z]\S*)([ \t]*)(\n?)"
)


def expand_ligatures(text: str) -> str:
    """ "eﬃcient" -> "efficient"."""
    return _LIGATURE.sub(lambda m: LIGATURES[m.group()], text)


def join_hyphenated(text: str) -> str:
    """ "infor-\\nmation retrieval" -> "information\\nretrieval": the word is joined and the
    line break moves after it, so the text keeps its lines."""

    def joined(match: re.Match[str]) -> str:
        rest, _spaces, newline = match.groups()
        return rest + ("" if match.end() == len(match.string) and not newline else "\n")

    # A joined word can end in another break ("a-\\nb-\\nc"); every pass removes a hyphen.
    while (repaired := _HYPHEN_BREAK.sub(joined, text)) != text:
        text = repaired
    return text


def repair(text: str) -> str:
    """Every repair, in order: ligatures first, so that a hyphenated "eﬃ-\\ncient" joins too."""
    return join_hyphenated(expand_ligatures(text).replace("\r\n", "\n"))
