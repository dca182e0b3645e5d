"""Counted nouns in what `slr` prints: "1 record", "2 records", never "1 records"."""

from __future__ import annotations

import re

_ES = re.compile(r"(s|x|z|ch|sh)$")  # match -> matches, box -> boxes
_IES = re.compile(r"[^aeiou]y$")  # study -> studies (but day -> days)


def plural(noun: str, number: int) -> str:
    """The noun as `number` of it reads: `noun` for exactly one, its plural otherwise."""
    if number == 1:
        return noun
    if _IES.search(noun):
        return noun[:-1] + "ies"
    return noun + ("es" if _ES.search(noun) else "s")


def counted(number: int, noun: str, grouped: bool = False) -> str:
    """The number and its noun: "1 record", "0 records", "2 studies"; with `grouped`, thousands
    are separated by commas ("1,234 records")."""
    return f"{number:,} {plural(noun, number)}" if grouped else f"{number} {plural(noun, number)}"
