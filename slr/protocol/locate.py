"""Where each key of a TOML file is: tomllib parses values but forgets lines, so find them here.

A line scanner that knows tables (`[a.b]`), arrays of tables (`[[rules]]`, counted), keys
(`name = value`, also dotted) and values that run over several lines (multi-line strings and
arrays), which is all a protocol file uses. Paths are tuples: ("rules", 2, "query").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=\s*"
)
_KEY_PART = re.compile(r"[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'")


@dataclass(slots=True)
class Place:
    line: int  # 1-based
    offset: int  # character offset of the value in the file (of the header for tables)


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in _KEY_PART.findall(dotted))


def _brackets(text: str) -> int:
    """Net [ minus ] outside strings and comments."""
    depth = 0
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        index += 1
    return depth


def locate(source: str) -> dict[tuple[str | int, ...], Place]:
    places: dict[tuple[str | int, ...], Place] = {}
    counts: dict[tuple[str, ...], int] = {}
    table: tuple[str | int, ...] = ()
    closing = ""  # the delimiter of an open multi-line string
    depth = 0  # open brackets of a multi-line array
    offset = 0
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        start = offset
        offset += len(line)
        if closing:
            if closing in line:
                closing = ""
            continue
        if depth > 0:
            depth += _brackets(line)
            continue
        if match := _ARRAY_HEADER.match(line):
            name = _parts(match.group(1))
            index = counts.get(name, 0)
            counts[name] = index + 1
            table = (*name, index)
            places[table] = Place(number, start)
            continue
        if match := _TABLE_HEADER.match(line):
            table = _parts(match.group(1))
            places.setdefault(table, Place(number, start))
            continue
        match = _KEY.match(line)
        if not match:
            continue
        path = (*table, *_parts(match.group(1)))
        places.setdefault(path, Place(number, start + match.end()))
        value = line[match.end() :]
        for delimiter in ('"""', "'''"):
            if value.startswith(delimiter):
                if value.count(delimiter) == 1:
                    closing = delimiter
                break
        else:
            if value.startswith("["):
                depth = _brackets(value)
    return places


def line_of(places: dict[tuple[str | int, ...], Place], path: tuple[str | int, ...]) -> int:
    """The line of a path, or of its nearest located parent (0 when none is known)."""
    while path:
        if path in places:
            return places[path].line
        path = path[:-1]
    return 0


def position_in_file(
    source: str, places: dict[tuple[str | int, ...], Place], path: tuple[str | int, ...], text: str
) -> tuple[int, int] | None:
    """The file offset where string value `text` at `path` starts, when it is there verbatim."""
    place = places.get(path)
    if place is None or not text:
        return None
    found = source.find(text, place.offset)
    if found == -1 or source.count("\n", place.offset, found) > 3:
        return None
    return found, place.line
