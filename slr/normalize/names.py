"""Author names as exports write them: 'Family, Given', 'Family G.', 'G. Family', 'Given Family'."""

from __future__ import annotations

import re

from slr.models import Author
from slr.normalize.text import clean_text

# "R.", "RJ", "R.J.", "J.-P.", "Ch." : initials, in any export's style
_INITIALS = re.compile(r"^(?:[A-Z\u00c0-\u024f][a-z]?\.?-?){1,4}$")
# What databases write where a record has no author.
_PLACEHOLDERS = {
    "[no author name available]",
    "[anonymous]",
    "anonymous",
    "anon",
    "[anon]",
    "no author",
    "[no authors listed]",
    "n/a",
    "null",
    "nan",
}
_PARTICLES = {
    "van",
    "von",
    "de",
    "der",
    "den",
    "del",
    "della",
    "di",
    "da",
    "du",
    "la",
    "le",
    "dos",
    "das",
    "ter",
    "ten",
    "bin",
    "al",
    "el",
}
_CORPORATE = re.compile(
    r"\b(group|consortium|collaboration|committee|association|society|organi[sz]ation|"
    r"institute|university|council|network|team|investigators|agency|ministry|office|"
    r"foundation|federation|board|centre|center)\b",
    re.IGNORECASE,
)


def _is_initials(token: str) -> bool:
    # "RJ", "P", "R.J.", "Ch.": a token with lower case is initials only with a full stop,
    # so that two-letter family names ("Li", "Wu", "Ma") are not read as initials
    if "." not in token and (len(token) > 3 or not token.isupper()):
        return False
    return bool(_INITIALS.match(token))


def parse_name(value: str) -> Author:
    """Split one author string into family and given names, keeping both as given."""
    return parse_clean_name(clean_text(value))


def parse_clean_name(name: str) -> Author:
    """`parse_name` of a text `clean_text` gives back unchanged (see `clean_pieces`)."""
    name = name.strip(" ,;")
    # Scopus new-style "Hao, Jie (57221302630)": the author id is not part of the name
    if name.endswith(")"):
        opened = name.rfind("(")
        number = name[opened + 1 : -1]
        if opened >= 0 and len(number) >= 6 and number.isdecimal():  # regex \d
            name = name[:opened].rstrip()
    if not name:
        return Author()
    if "," in name:  # (no placeholder has a comma)
        family, _, given = name.partition(",")
        family, given = family.strip(), given.strip()
        if family and given:
            return Author(family, given)
        return Author(family or given)
    if name.casefold() in _PLACEHOLDERS:
        return Author()
    if _CORPORATE.search(name):
        return Author(literal=name)
    tokens = name.split()
    if len(tokens) == 1:
        return Author(tokens[0])
    # "Liu R." / "Chrabąszcz P" / "Yagai T.": family first, then initials
    trailing = [t for t in tokens[1:] if _is_initials(t)]
    if len(trailing) == len(tokens) - 1 and not _is_initials(tokens[0]):
        return Author(tokens[0], " ".join(tokens[1:]))
    if _is_initials(tokens[-1]) and not _is_initials(tokens[0]):
        split_at = len(tokens) - 1
        while split_at > 1 and _is_initials(tokens[split_at - 1]):
            split_at -= 1
        return Author(" ".join(tokens[:split_at]), " ".join(tokens[split_at:]))
    # "A. Hayashi" / "S. Raj Paul" / "John Smith" / "Ludwig van Beethoven": given first
    split_at = len(tokens) - 1
    while split_at > 1 and tokens[split_at - 1].lower() in _PARTICLES:
        split_at -= 1
    return Author(" ".join(tokens[split_at:]), " ".join(tokens[:split_at]))


def parse_names(values: list[str] | str, separator: str = ";") -> list[Author]:
    """Several authors from a list of strings or one packed string."""
    if isinstance(values, str):
        values = values.split(separator)
    return [author for author in (parse_name(v) for v in values) if author.family or author.literal]


def parse_name_with_family(value: str, family: str) -> Author:
    """`parse_name`, except that a name written without a comma and starting with `family`,
    known from another field (WoS AF "Wang Chen-Yang" beside AU "Wang, CY"), is split there."""
    name = clean_text(value).strip(" ,;")
    head, rest = name[: len(family)], name[len(family) :]
    if family and "," not in name and head.casefold() == family.casefold() and rest[:1] == " ":
        return Author(head, rest.strip()) if rest.strip() else Author(head)
    return parse_clean_name(name)
