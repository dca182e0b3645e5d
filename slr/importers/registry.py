"""The table of export formats: each one sniffs content and parses text into records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath

from slr.errors import UnknownFormat
from slr.models import ParseResult

SNIFF_BYTES = 65536


@dataclass(frozen=True, slots=True)
class Format:
    """An export format.

    `sniff(head, file_name)` returns a confidence from 0 (not this format) to 100 (certain) from
    the first SNIFF_BYTES characters of decoded text; the extension may only add a little.
    `parse(text, column_map)` never raises on bad content: it returns records and failures.
    """

    name: str
    description: str
    sniff: Callable[[str, str], int]
    parse: Callable[[str, Mapping[str, str] | None], ParseResult]
    extensions: tuple[str, ...] = ()


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


def detect(text: str, file_name: str = "") -> Format:
    """The format whose sniffer is most confident about this content."""
    head = text[:SNIFF_BYTES]
    suffix = PurePath(file_name).suffix.lower().lstrip(".")
    best: tuple[int, str] | None = None
    for fmt in FORMATS.values():
        score = fmt.sniff(head, file_name)
        if score <= 0:
            continue
        if suffix and suffix in fmt.extensions:
            score += 5
        if best is None or score > best[0]:
            best = (score, fmt.name)
    if best is None or best[0] < 30:
        names = ", ".join(sorted(FORMATS))
        raise UnknownFormat(
            f"{file_name or 'input'}: format not recognised from its content",
            f"name it with --format (one of: {names})",
        )
    return FORMATS[best[1]]


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        names = ", ".join(sorted(FORMATS))
        raise UnknownFormat(f"unknown format {name!r}", f"use one of: {names}") from None
