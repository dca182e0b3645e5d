"""A large export cut into parts at entry boundaries, so that processes can parse them at once.

A part is parsed alone, as the text `text[:head] + text[start:end]` (the head is a CSV header,
empty for tagged formats), and its line numbers are moved to the file's. The parts together
give exactly what one parse of the whole text gives, or a part says it cannot (`part_ok`), and
the file is parsed whole instead: tests/test_import_parts.py checks this on every real export.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from slr.models import ParseResult

PartParser = Callable[[str, Mapping[str, str] | None], ParseResult]
_LINE_NUMBER = re.compile(r"\bline (\d+)")
_NOT_SPACE = re.compile(r"\S")
# Give up cutting when no boundary turns up this far past where a cut was wanted.
_MAX_SEARCH = 4_000_000


@dataclass(slots=True)
class Split:
    """How to cut a text into about `parts` parts, and how to parse and check one part."""

    head: int  # text[:head] is parsed before every part: a CSV header; 0 for none
    head_lines: int  # the lines text[:head] holds
    parts: int  # how many parts are wanted
    # the first entry boundary at or after a position, or -1
    boundary: Callable[[int], int]
    parse_part: PartParser
    # (result, is the last part) -> can this part's result stand for its span of the file?
    part_ok: Callable[[ParseResult, bool], bool]

    def part_text(self, text: str, part: Part) -> str:
        piece = text[part.start : part.end]
        return text[: self.head] + piece if self.head else piece

    def to_file_lines(self, result: ParseResult, part: Part) -> None:
        """Move a part's line numbers (records, failures, warnings) to the file's own."""
        shift = part.first_line - 1 - self.head_lines
        if not shift:
            return
        head_lines = self.head_lines

        def moved(line: int) -> int:
            return line + shift if line > head_lines else line

        for record in result.records:
            record.line = moved(record.line)
        for failure in result.failures:
            failure.line = moved(failure.line)
        result.warnings[:] = [
            _LINE_NUMBER.sub(lambda m: f"line {moved(int(m.group(1)))}", warning)
            for warning in result.warnings
        ]


@dataclass(slots=True, frozen=True)
class Part:
    """One part of a split text: text[start:end], whose first line is the file's first_line."""

    index: int
    start: int
    end: int
    first_line: int
    last: bool


def iter_parts(split: Split, text: str) -> Iterator[Part]:
    """The parts of about equal size after the head, each as soon as its end is found (so
    that worker processes parse the first parts while the later cuts are looked for). A text
    that does not cut gives one part, the last."""
    start = split.head
    size = (len(text) - start) // split.parts
    line = 1 + text.count("\n", 0, start)
    index = 0
    for number in range(1, split.parts):
        wanted = split.head + number * size
        end = split.boundary(max(wanted, start + 1))
        if end < 0 or end - wanted > _MAX_SEARCH or not _NOT_SPACE.search(text, end):
            break  # no boundary near, or only blank lines after it
        yield Part(index, start, end, line, False)
        index += 1
        line += text.count("\n", start, end)
        start = end
    yield Part(index, start, len(text), line, True)


def line_starting_with(text: str, marker: str) -> Callable[[int], int]:
    """Boundaries at lines that start with `marker` (RIS: "TY  -")."""
    needle = "\n" + marker

    def boundary(position: int) -> int:
        found = text.find(needle, position - 1)
        return found + 1 if found >= 0 else -1

    return boundary


def csv_row_start(text: str, head: int, quoted: bool) -> Callable[[int], int]:
    """Boundaries at line starts outside quoted fields: an even count of '"' since the header
    (doubled quotes inside a field count twice). With `quoted` False every line is a row."""
    state = {"position": head, "odd": False}

    def boundary(position: int) -> int:
        newline = text.find("\n", position - 1)
        while newline >= 0:
            if not quoted:
                return newline + 1
            if text.count('"', state["position"], newline) % 2:
                state["odd"] = not state["odd"]
            state["position"] = newline
            if not state["odd"]:
                return newline + 1
            newline = text.find("\n", newline + 1)
        return -1

    return boundary


def merge_warnings(warnings: list[list[str]]) -> list[str]:
    """The parts' warnings in order, a warning every part gives (a file-wide one) kept once."""
    return list(dict.fromkeys(w for part in warnings for w in part))


def parse_part(
    split: Split, text: str, part: Part, column_map: Mapping[str, str] | None
) -> tuple[ParseResult, bool]:
    """Parse one part with the file's line numbers; and can it stand for its span?"""
    result = split.parse_part(split.part_text(text, part), column_map)
    ok = split.part_ok(result, part.last)
    split.to_file_lines(result, part)
    return result, ok


def parse_split(
    split: Split, text: str, column_map: Mapping[str, str] | None = None
) -> ParseResult | None:
    """All parts parsed one after another and merged; None when the text does not cut, or a
    part cannot stand alone. (The import parses the parts in worker processes; this is the
    same, in one.)"""
    merged: ParseResult | None = None
    warnings: list[list[str]] = []
    for part in iter_parts(split, text):
        if part.last and part.index == 0:
            return None
        result, ok = parse_part(split, text, part, column_map)
        if not ok:
            return None
        warnings.append(result.warnings)
        if merged is None:
            merged = ParseResult(result.format, flavour=result.flavour)
        merged.records += result.records
        merged.failures += result.failures
    assert merged is not None
    merged.warnings = merge_warnings(warnings)
    return merged
