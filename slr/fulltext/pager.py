"""The full text of a record in the screen: a pager inside the terminal.

Pages come from the store as extracted when the file was attached (nothing is read from a PDF
here, so a page turns at once). The words are highlighted by the screen's own highlighter
(protocol vocabularies, include and exclude terms, through the one term compiler), `/` searches
with the same compiler, `n` goes to the next highlight, `M` to the Methods section.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

from slr.models import Record
from slr.protocol.query import make_term
from slr.screening.engine import find_term
from slr.screening.highlight import Highlighter
from slr.screening.text import RecordText

PAGER_KEYS = "space/b screen ]/[ page /search n next highlight M methods i/e/m decide f back"
SEARCH_STYLE = "reverse"
# A heading line that opens the Methods section ("2 Methods", "Materials and methods",
# "METODOLOGIA", "3.1 Research design").
_METHODS = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?\s*)?(?:materials? and methods|methods?|methodology|research "
    r"(?:design|method)s?|study design|material e métodos|métodos?|metodologia|metodología)"
    r"\s*:?\s*$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(slots=True)
class Row:
    """One screen line: where it is (file, page, offset of its source line in the page)."""

    page: int  # index into Pager.pages
    offset: int
    text: Text


@dataclass(slots=True)
class Pager:
    """The pages of a record's full texts and where the reader is in them."""

    record_id: int
    pages: Sequence[tuple[str, int, str]]  # (file, page number, text)
    highlighter: Highlighter
    styles: Mapping[str, str]
    console: Callable[[], Console]  # the screen's: its size, styles and colours
    width: int = 80
    height: int = 24
    top: int = 0  # the first row on screen
    query: str = ""
    message: str = ""
    _rows: list[Row] = field(default_factory=list)
    _rows_width: int = 0
    _hits: list[tuple[int, int]] = field(default_factory=list)  # (page index, offset)

    # -- what is on screen -----------------------------------------------------------------------

    def _page_text(self, index: int) -> Text:
        """A page with the protocol's words highlighted and the search's hits reversed."""
        raw = self.pages[index][2]
        text = Text(raw)
        as_record = RecordText.of(self.record_id, Record(title="", abstract=raw))
        for kind, span in self.highlighter.spans(as_record, "abstract"):
            text.stylize(self.styles[kind], span.start, span.end)
        for page, offset, end in self._search_hits():
            if page == index:
                text.stylize(SEARCH_STYLE, offset, end)
        return text

    def rows(self) -> list[Row]:
        """Every line of every page, wrapped to the screen's width (computed once per width)."""
        if self._rows and self._rows_width == self.width:
            return self._rows
        console = self.console()
        rows: list[Row] = []
        for index, (file, number, _) in enumerate(self.pages):
            rows.append(Row(index, -1, Text(f"── {file} · page {number} ──", style="dim")))
            text = self._page_text(index)
            offset = 0
            for line in text.split("\n", allow_blank=True):
                for part in line.wrap(console, self.width) or [Text("")]:
                    rows.append(Row(index, offset, part))
                offset += len(line) + 1
        self._rows, self._rows_width = rows, self.width
        return rows

    @property
    def body_height(self) -> int:
        return max(1, self.height - 3)

    def render(self) -> str:
        rows = self.rows()
        self.top = max(0, min(self.top, max(0, len(rows) - 1)))
        console = self.console()
        if rows:
            file, number, _ = self.pages[rows[self.top].page]
            where = f"{file} p.{number} (page {rows[self.top].page + 1} of {len(self.pages)})"
        else:
            where = "no text"
        head = Text(f"slr screen · full text · record {self.record_id} · {where}", style="reverse")
        lines = [head]
        body = rows[self.top : self.top + self.body_height]
        lines += [row.text for row in body]
        lines += [Text("")] * (self.body_height - len(body))
        lines.append(Text(self.message))
        lines.append(Text(PAGER_KEYS[: self.width]))
        for line in lines:
            console.print(line, overflow="crop", no_wrap=True, crop=True)
        out = console.file
        assert isinstance(out, io.StringIO)
        return out.getvalue().rstrip("\n")

    # -- moves ---------------------------------------------------------------------------------

    def _go(self, row: int) -> None:
        self.top = max(0, min(row, max(0, len(self.rows()) - 1)))

    def scroll(self, screens: int) -> None:
        self.message = ""
        self._go(self.top + screens * self.body_height)

    def turn(self, pages: int) -> None:
        """To the first line of the next (or an earlier) page."""
        rows = self.rows()
        if not rows:
            return
        target = max(0, min(len(self.pages) - 1, rows[self.top].page + pages))
        self._go(next(i for i, row in enumerate(rows) if row.page == target))
        self.message = ""

    def _row_of(self, page: int, offset: int) -> int:
        rows = self.rows()
        found = 0
        for index, row in enumerate(rows):
            if (row.page, row.offset) > (page, offset):
                break
            found = index
        return found

    def _search_hits(self) -> list[tuple[int, int, int]]:
        if not self.query:
            return []
        term = make_term(self.query)
        if term is None:
            return []
        hits = []
        for index, (_, _, raw) in enumerate(self.pages):
            as_record = RecordText.of(self.record_id, Record(title="", abstract=raw))
            for span in find_term(term, as_record, ("abstract",)):
                hits.append((index, span.start, span.end))
        return hits

    def search(self, query: str) -> None:
        """Search the text as rules and `slr query` match a term; go to the first hit."""
        self.query = query.strip()
        self._rows = []  # the hits are drawn
        hits = self._search_hits()
        self._hits = [(page, start) for page, start, _ in hits]
        if not self.query:
            self.message = "Search cleared"
            return
        if not hits:
            self.message = f"Not found: {self.query}"
            return
        self.message = f"{len(hits)} match{'' if len(hits) == 1 else 'es'} of {self.query}"
        self._go(self._row_of(*self._hits[0]))

    def next_highlight(self) -> None:
        """The next search hit (or, with no search, the next highlighted word) below the top
        line; after the last, back to the first."""
        rows = self.rows()
        if self.query:
            targets = self._hits
        else:
            targets = []
            for index in range(len(self.pages)):
                raw = self.pages[index][2]
                as_record = RecordText.of(self.record_id, Record(title="", abstract=raw))
                targets += [
                    (index, span.start) for _, span in self.highlighter.spans(as_record, "abstract")
                ]
        if not targets:
            self.message = "Nothing highlighted in this full text"
            return
        rows_of = sorted({self._row_of(page, offset) for page, offset in targets})
        after = [row for row in rows_of if row > self.top]
        self._go(after[0] if after else rows_of[0])
        self.message = "" if after else "Back at the first highlight"
        del rows

    def methods(self) -> None:
        for index, (_, _, raw) in enumerate(self.pages):
            heading = _METHODS.search(raw)
            if heading:
                self._go(self._row_of(index, heading.start()))
                self.message = f"Methods: {heading.group().strip()}"
                return
        self.message = "No Methods heading found"
