"""Text folding: whitespace, markup, LaTeX, copyright tails, case folding for matching."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

# Characters that exports put in place of an ordinary space, or that carry no text at all.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u00ad]")


def single_spaced(text: str) -> bool:
    """No whitespace in an ASCII text but single spaces: none of the characters str.split()
    splits on, and no two spaces in a row. (Ten searches in C: faster than one regex.)"""
    return not (
        "  " in text
        or "\n" in text
        or "\t" in text
        or "\r" in text
        or "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
    )


def clean_text(value: str | None) -> str:
    """Unicode NFC, exotic spaces to plain spaces, invisible marks removed, whitespace collapsed."""
    if not value:
        return ""
    text = value
    if text.isascii():
        # a long clean text (an abstract) told clean without splitting it into words: 4x faster
        if len(text) > 64 and text[0] != " " and text[-1] != " " and single_spaced(text):
            return value
    else:
        text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    # str.split() also splits on no-break, thin and ideographic spaces
    joined = " ".join(text.split())
    # the original object when nothing changed: records then share strings with their raw fields
    return value if joined == value else joined


_BLOCK_TAG = re.compile(
    r"</?(?:jats:)?(?:p|sec|title|br|div|li|ul|ol|list|list-item|abstract|label)\b[^>]*>",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:_-]*(?:\s[^<>]*)?/?>")
_SUPERSCRIPT_TAG = re.compile(r"<(sup|sub|inf)>([^<]{0,40})</\1>", re.IGNORECASE)


def strip_markup(value: str | None) -> str:
    """Plain text from JATS/HTML: tags dropped (block tags become spaces), entities decoded."""
    if not value:
        return ""
    text = value
    if "<" in text:
        text = _SUPERSCRIPT_TAG.sub(r"\2", text)
        text = _BLOCK_TAG.sub(" ", text)
        text = _ANY_TAG.sub("", text)
    if "&" in text:
        # twice, for exports that escaped an entity again (&amp;amp;)
        text = html.unescape(html.unescape(text))
    return clean_text(text)


# LaTeX accent commands to Unicode combining marks.
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_SYMBOLS = {
    r"\ss": "ß",
    r"\o": "ø",
    r"\O": "Ø",
    r"\ae": "æ",
    r"\AE": "Æ",
    r"\oe": "œ",
    r"\OE": "Œ",
    r"\aa": "å",
    r"\AA": "Å",
    r"\l": "ł",
    r"\L": "Ł",
    r"\i": "ı",
    r"\j": "ȷ",
    r"\textless": "<",
    r"\textgreater": ">",
    r"\textasciitilde": "~",
    r"\textbackslash": "\x01",
    r"\textasciicircum": "^",
    r"\textendash": "–",
    r"\textemdash": "—",
    r"\textregistered": "®",
    r"\texttrademark": "™",
    r"\textcopyright": "©",
    r"\textdegree": "°",
    r"\textquotesingle": "'",
    r"\textbar": "|",
    r"\textunderscore": "_",
    r"\textperiodcentered": "·",
    r"\textmu": "µ",
    r"\textpm": "±",
    r"\texttimes": "×",
    r"\copyright": "©",
    r"\pounds": "£",
    r"\S": "§",
    r"\P": "¶",
    r"\dag": "†",
    r"\ldots": "…",
    r"\dots": "…",
}
_ACCENT_BRACED = re.compile(
    r"\\([`'^\"~=.])\s*\{\\?([A-Za-z])\}|\\([uvHckrdb])\s*\{\\?([A-Za-z])\}"
)
_ACCENT_BARE = re.compile(r"\\([`'^\"~=.])\\?([A-Za-z])|\\([uvHckrdb]) ([A-Za-z])")
_SYMBOL = re.compile(
    r"(\\(?:"
    + "|".join(re.escape(k[1:]) for k in sorted(_SYMBOLS, key=len, reverse=True))
    + r"))(?![A-Za-z])(?:\{\}|\s)?"
)
_ESCAPED_CHAR = re.compile(r"\\([&%$#_{}\[\]])")
_FONT_COMMAND = re.compile(
    r"\\(?:emph|textit|textbf|textrm|textsf|texttt|textsc|mathrm|"
    r"mathit|mathbf|url|textsuperscript|textsubscript)\s*\{"
)
_MATH_DOLLAR = re.compile(r"(?<!\\)\$")


def _accent(match: re.Match[str]) -> str:
    command = match.group(1) or match.group(3)
    letter = match.group(2) or match.group(4)
    return unicodedata.normalize("NFC", letter + _ACCENTS[command])


def latex_to_unicode(value: str | None) -> str:
    """Decode the LaTeX that BibTeX exports carry: accents, escapes, symbols, protective braces."""
    if not value:
        return ""
    text = value
    if "$" in text:
        text = _MATH_DOLLAR.sub("", text)
    if "\\" in text:
        text = _ACCENT_BRACED.sub(_accent, text)
        text = _ACCENT_BARE.sub(_accent, text)
        text = _SYMBOL.sub(lambda m: _SYMBOLS[m.group(1)], text)
        text = _FONT_COMMAND.sub("{", text)
        text = _ESCAPED_CHAR.sub(lambda m: "\x00" + m.group(1), text)
    # dashes before braces go: "-{}-" is how a writer keeps two hyphens
    text = text.replace("---", "—").replace("--", "–")
    if "{" in text or "}" in text:
        text = re.sub(r"(?<!\x00)[{}]", "", text)
    text = text.replace("\x00", "").replace("\x01", "\\")
    return clean_text(text)


_COPYRIGHT = re.compile(
    r"(?<!\w)(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4})"
    r"|copyright of .{1,300}? is the property of|published by\b.{0,60}\d{4}"
    r"|all rights reserved)",
    re.IGNORECASE,
)
_COPYRIGHT_TAIL_MAX = 800


def split_copyright(abstract: str) -> tuple[str, str]:
    """Split a publisher's copyright notice off the end of an abstract: (abstract, notice)."""
    if not abstract:
        return "", ""
    start = max(0, len(abstract) - _COPYRIGHT_TAIL_MAX)
    tail = abstract[start:].lower()
    # the common case, decided without the regex; "(" and "right" first: they are found
    # in one pass over the text, "(c)" and "copyright" only with many false starts
    if (
        "©" not in tail
        and ("(" not in tail or "(c)" not in tail)
        and ("right" not in tail or ("copyright" not in tail and "rights reserved" not in tail))
        and "published by" not in tail
    ):
        return abstract, ""
    match = _COPYRIGHT.search(abstract, start)
    if match is None:
        return abstract, ""
    cut = match.start()
    # "(PsycINFO Database Record (c) 2019 APA, all rights reserved)": the notice starts at "("
    opened = abstract.rfind("(", start, cut)
    if opened != -1 and abstract.find(")", opened, cut) == -1:
        cut = opened
    body = abstract[:cut].rstrip()
    if not body:  # the whole text is a notice: keep it where it was
        return abstract, ""
    return body, abstract[cut:].strip()


def clean_pieces(values: list[str], markup: bool = False) -> list[str] | None:
    """The pieces of a packed field ("a; b; c" split at ";") cleaned by `clean_text` (or by
    `strip_markup`, with markup) in one check over all of them, when they are plain ASCII with
    single spaces; None otherwise. A call for each piece cost as much as the rest of a record."""
    joined = "|".join(values)
    if not joined.isascii() or not single_spaced(joined):
        return None
    if markup and ("<" in joined or "&" in joined):
        return None
    return [v.strip(" ") for v in values]


def split_values(value: str | None, separator: str = ";") -> list[str]:
    """Split a packed multi-value field, dropping empty pieces."""
    if not value:
        return []
    return [piece for piece in (clean_text(p) for p in value.split(separator)) if piece]


# -- folding: the one key that rules, vocabularies, highlighting, queries and dedup compare --------

ASCII_WORD = re.compile(r"[a-z0-9]+")  # the words `fold` keeps of lower-cased ASCII text
_NON_WORD = re.compile(r"[\W_]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def fold(value: str | None) -> str:
    """Matching key: NFKD without accents (so NFKC's compatibility forms too), case-folded, every
    run of punctuation or space one space, no space at either end."""
    if not value:
        return ""
    if value.isascii():  # most titles and abstracts: no accent to drop
        return " ".join(ASCII_WORD.findall(value.lower()))
    decomposed = unicodedata.normalize("NFKD", value)
    # only the non-ASCII characters can be combining marks: each looked at once
    marks = {ord(c): None for c in set(_NON_ASCII.findall(decomposed)) if unicodedata.combining(c)}
    stripped = decomposed.translate(marks) if marks else decomposed
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """One character as `fold` folds it, before punctuation becomes space: accents dropped, case
    folded (maybe several letters: ß -> ss), "" for a combining mark (part of the letter before)."""
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold_with_offsets(text: str, keep: str = "") -> tuple[str, list[int]]:
    """`fold(text)` and, for each of its characters, the index of the original character.

    `keep` lists ASCII characters kept as if they were letters (a term's wildcards)."""
    if text.isascii() and not keep:
        return _ascii_with_offsets(text)
    out: list[str] = []
    offsets: list[int] = []
    space_pending = False
    position = 0
    # runs of ASCII letters and digits at once, other characters one by one
    for match in _run_pattern(keep).finditer(text):
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
        for piece in fold_char(run):
            if piece.isalnum():  # what `\w` is, but "_"
                if space_pending and out:
                    out.append(" ")
                    offsets.append(index)
                space_pending = False
                out.append(piece)
                offsets.append(index)
            else:
                space_pending = True
    return "".join(out), offsets


@lru_cache(maxsize=8)
def _run_pattern(keep: str) -> re.Pattern[str]:
    return re.compile(rf"[A-Za-z0-9{re.escape(keep)}]+|[^\x00-\x7f]")


def _ascii_with_offsets(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    offsets: list[int] = []
    for match in ASCII_WORD.finditer(text.lower()):
        if out:
            out.append(" ")
            offsets.append(match.start())
        out.append(match.group())
        offsets.extend(range(match.start(), match.end()))
    return "".join(out), offsets
