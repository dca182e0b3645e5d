"""The reference list of a full text, split into entries. Pure.

A list starts at a heading line ("References", "REFERÊNCIAS", "Literatura citada" ...) that is
followed by a year within a few lines (a figure's word "References" is not a heading). Numbered
lists ("[12] ...", "12. ...", "12 ...") are split where the next number in sequence starts a
line, so page numbers and running heads do not count; other lists (author-year) where a line
starting with a name follows an entry that already holds a year and ends like an entry ends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADING = re.compile(
    r"^[ \t]*(?:\d+\.?[ \t]*)?(?:references(?: and notes| cited)?|bibliography|"
    r"literature cited|literatura citada|works cited|referências(?: bibliográficas)?|"
    r"referencias(?: bibliográficas)?|bibliografía|bibliografia)[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# A line that ends a reference list: what journals print after it.
_LIST_END = re.compile(
    r"^[ \t]*(?:[A-Z0-9]{1,2}\.?[ \t]+)?"
    r"(?:supplementary (?:material|data|information)|supporting information|appendix|"
    r"acknowledge?ments?|author biograph|about the authors?|material suplementar)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(?:1[6-9]|20)\d\d(?!\d)")
_NUMBERED = re.compile(r"^[ \t]*(?:\[(\d{1,4})\]|(\d{1,4})\.?(?=[ \t]*[^\d\s.]))")
# A line that starts a name: "Bogner J,", "Almeida, A.S.;", "ARI (2020)", "Anant K. Agarwal,",
# "van den Beek M", "O’Malley KF", "Björk, B-C.", "Hal Daumé. 2007.", "Sepp Hochreiter and";
# not the venue line of an entry ("In ACL.", "In: Proceedings").
_NAME_START = re.compile(
    r"^[ \t]*(?!In\b)(?:(?:van|von|de|da|dos|del|der|den|di|la|le)[ \t]+)*"
    r"[A-ZÀ-ÖØ-Þ][\w'’`\-]*(?:[ \t]+[A-ZÀ-ÖØ-Þ][\w'’`\-]*)*"
    r"(?:,[ \t]*[A-ZÀ-ÖØ-Þ]|[ \t]+[A-ZÀ-ÖØ-Þ]{1,3}\b|[ \t]+[A-ZÀ-ÖØ-Þ]\.|[ \t]*\((?:19|20)\d\d"
    r"|\.[ \t]+(?:19|20)\d\d|[ \t]+and[ \t]+[A-ZÀ-ÖØ-Þ])"
)
_ENTRY_END = re.compile(r"(?:[.)\]]|\d|[\w/]{6,})[ \t]*$")
MAX_ENTRY = 1500  # the last entry of a list runs at most this far (what follows is not a list)


def _heading_matches(pages: Sequence[str]) -> list[tuple[int, re.Match[str]]]:
    found = []
    for number, page in enumerate(pages, start=1):
        for heading in _HEADING.finditer(page):
            next_page = pages[number] if number < len(pages) else ""
            following = (page[heading.end() :] + "\n" + next_page).strip().splitlines()
            if _YEAR.search("\n".join(following[:4])):
                found.append((number, heading))
    return found


def reference_section_start(pages: Sequence[str]) -> tuple[int, int] | None:
    """(page number, offset) of the first reference-list heading, or None."""
    headings = _heading_matches(pages)
    return (headings[0][0], headings[0][1].start()) if headings else None


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip())


def running_lines(pages: Sequence[str]) -> set[str]:
    """The shapes (digits as #) of lines printed on three pages or more: running heads, footers
    with page numbers, watermarks. They are not part of the text they interrupt."""
    seen: dict[str, int] = {}
    for page in pages:
        for shape in {_shape(line) for line in page.splitlines() if line.strip()}:
            seen[shape] = seen.get(shape, 0) + 1
    return {shape for shape, count in seen.items() if count >= 3 and len(shape) > 3}


def _sections(pages: Sequence[str]) -> list[list[str]]:
    """The lines of each reference list, from its heading to the next one (or the end), without
    running heads and footers."""
    headings = _heading_matches(pages)
    running = running_lines(pages)
    sections = []
    for index, (number, heading) in enumerate(headings):
        if index + 1 < len(headings):
            end_page, end = headings[index + 1][0], headings[index + 1][1].start()
        else:
            end_page, end = len(pages), len(pages[-1])
        parts = [pages[number - 1][heading.end() :]] if end_page > number else []
        if end_page == number:
            parts = [pages[number - 1][heading.end() : end]]
        else:
            parts.extend(pages[number : end_page - 1])
            parts.append(pages[end_page - 1][:end])
        lines = []
        for line in "\n".join(parts).splitlines():
            if _LIST_END.match(line):
                break
            if _shape(line) not in running:
                lines.append(line)
        sections.append(lines)
    return sections


def _numbered(lines: list[str]) -> list[str]:
    """Entries numbered 1, 2, 3 ... from the list's first lines on (a numbered table further
    down is not the list)."""
    entries: list[list[str]] = []
    expected = 1
    for index, line in enumerate(line for line in lines if line.strip()):
        if index == 3 and not entries:
            return []
        marker = _NUMBERED.match(line)
        if marker and int(marker.group(1) or marker.group(2)) == expected:
            entries.append([line[marker.end() :].strip()])
            expected += 1
        elif entries:
            entries[-1].append(line.strip())
    return [" ".join(part for part in entry if part)[:MAX_ENTRY] for entry in entries]


def _author_year(lines: list[str]) -> list[str]:
    entries: list[list[str]] = []
    for line in lines:
        if not line.strip():
            continue
        current = " ".join(entries[-1]) if entries else ""
        starts = _NAME_START.match(line) and (
            not entries or (_YEAR.search(current) and _ENTRY_END.search(entries[-1][-1]))
        )
        if starts:
            entries.append([line.strip()])
        elif entries:
            entries[-1].append(line.strip())
    return [" ".join(entry)[:MAX_ENTRY] for entry in entries if _YEAR.search(" ".join(entry))]


def split_references(pages: Sequence[str]) -> list[str]:
    """The entries of the full text's reference lists (each as one line of text), in order."""
    entries: list[str] = []
    for lines in _sections(pages):
        numbered = _numbered(lines)
        # Three numbers in sequence whose entries mostly hold a year are a numbered list (a
        # numbered list of affiliations after the references is not).
        dated = sum(bool(_YEAR.search(entry)) for entry in numbered)
        is_numbered = len(numbered) >= 3 and dated >= 0.6 * len(numbered)
        entries.extend(numbered if is_numbered else _author_year(lines))
    return entries
