"""The PRISMA 2020 flow diagram as standalone SVG and HTML (no script, no web font, no link).

The layout is the PRISMA 2020 template for new reviews with databases, registers and other
methods: phases on the left, the databases-and-registers column with the records removed or
excluded to its right, the other-methods column beside it, and the included studies at the bottom.
As slr screens other-methods records too, that column shows their screening as well; records
awaiting a decision are shown beside the records excluded, so that every box adds up.
Every text is escaped; black text on white with solid lines prints as it shows.
"""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass
from html import escape

from slr.prisma.counts import Counts

FONT = 13
LINE = 17
PAD = 10
GAP = 36
CHARS_PER_PIXEL = 1 / 6.8  # a conservative width of one character at 13 px


@dataclass(slots=True)
class Box:
    x: int
    width: int
    lines: list[str]
    fill: str = "#ffffff"
    bold_first: bool = False
    y: int = 0
    min_height: int = 0

    @property
    def wrapped(self) -> list[str]:
        chars = max(10, int((self.width - 2 * PAD) * CHARS_PER_PIXEL))
        out: list[str] = []
        for line in self.lines:
            out.extend(textwrap.wrap(line, chars, break_on_hyphens=False) or [""])
        return out

    @property
    def height(self) -> int:
        return max(self.min_height, len(self.wrapped) * LINE + 2 * PAD)

    def svg(self) -> str:
        parts = [
            f'<rect x="{self.x}" y="{self.y}" width="{self.width}" height="{self.height}" '
            f'fill="{self.fill}" stroke="#000000" stroke-width="1.2"/>'
        ]
        first_lines = len(textwrap.wrap(self.lines[0], 999)) if self.lines else 0
        for index, line in enumerate(self.wrapped):
            weight = ' font-weight="bold"' if self.bold_first and index < first_lines else ""
            y = self.y + PAD + (index + 1) * LINE - 4
            parts.append(f'<text x="{self.x + PAD}" y="{y}"{weight}>{escape(line)}</text>')
        return "\n".join(parts)


def _n(value: int) -> str:
    # no-break spaces keep "(n = 12)" on one line when a box wraps its text
    return f"(n\u00a0=\u00a0{value})"


def _lines_of(named: dict[str, int], indent: str = "\u2022 ") -> list[str]:
    return [f"{indent}{name} {_n(n)}" for name, n in named.items()]


def diagram_svg(counts: Counts, title: str = "", generated: str = "") -> str:
    t = counts.template()
    d = counts.details()
    col = {"main": 70, "side": 400, "omain": 760, "oside": 1060}
    width = {"main": 290, "side": 300, "omain": 270, "oside": 280}
    total_width = col["oside"] + width["oside"] + 20

    def box(key: str, lines: list[str], **kw: object) -> Box:
        return Box(col[key], width[key], lines, **kw)  # type: ignore[arg-type]

    databases = _lines_of(t["database_specific_results"])
    registers = _lines_of(t["register_specific_results"])
    automation_split = d["automation"] == "screened"
    rows: list[list[Box]] = [
        [
            Box(
                col["main"],
                col["side"] + width["side"] - col["main"],
                ["Identification of new studies via databases and registers"],
                "#ffe9a8",
                True,
            ),
            Box(
                col["omain"],
                col["oside"] + width["oside"] - col["omain"],
                ["Identification of new studies via other methods"],
                "#e6e6e6",
                True,
            ),
        ],
        [
            box(
                "main",
                [
                    "Records identified from:",
                    f"Databases {_n(t['database_results'])}",
                    *databases,
                    f"Registers {_n(t['register_results'])}",
                    *registers,
                ],
                bold_first=True,
            ),
            box(
                "side",
                [
                    "Records removed before screening:",
                    f"Duplicate records {_n(t['duplicates'])}",
                    "Records marked as ineligible by automation tools "
                    f"{_n(t['excluded_automatic'])}",
                    *(
                        [f"  not screened: stopping rule met {_n(stopped)}"]
                        if (stopped := d["records_not_screened_stopping"])
                        else []
                    ),
                    f"Records removed for other reasons {_n(t['excluded_other'])}",
                ],
                bold_first=True,
            ),
            box(
                "omain",
                [
                    "Records identified from:",
                    f"Websites {_n(t['website_results'])}",
                    f"Organisations {_n(t['organisation_results'])}",
                    f"Citation searching {_n(t['citations_results'])}",
                ],
                bold_first=True,
            ),
            box(
                "oside",
                [
                    "Records removed before screening:",
                    f"Already found, or duplicates {_n(d['other_duplicates'])}",
                    f"Marked as ineligible by automation tools {_n(d['other_excluded_automatic'])}",
                    *(
                        [f"  not screened: stopping rule met {_n(stopped)}"]
                        if (stopped := d["other_records_not_screened_stopping"])
                        else []
                    ),
                    f"Removed for other reasons {_n(d['other_excluded_other'])}",
                ],
                bold_first=True,
            ),
        ],
        [
            box("main", [f"Records screened {_n(t['records_screened'])}"]),
            box(
                "side",
                [
                    f"Records excluded {_n(t['records_excluded'])}",
                    *(
                        [
                            f"  by reviewers {_n(d['records_excluded_human'])}",
                            f"  by automation tools {_n(d['records_excluded_automatic'])}",
                        ]
                        if automation_split
                        else []
                    ),
                    f"Records awaiting a decision {_n(d['records_awaiting'])}",
                ],
            ),
            box("omain", [f"Records screened {_n(d['other_records_screened'])}"]),
            box(
                "oside",
                [
                    f"Records excluded {_n(d['other_records_excluded'])}",
                    f"Records awaiting a decision {_n(d['other_records_awaiting'])}",
                ],
            ),
        ],
        [
            box("main", [f"Reports sought for retrieval {_n(t['dbr_sought_reports'])}"]),
            box("side", [f"Reports not retrieved {_n(t['dbr_notretrieved_reports'])}"]),
            box("omain", [f"Reports sought for retrieval {_n(t['other_sought_reports'])}"]),
            box("oside", [f"Reports not retrieved {_n(t['other_notretrieved_reports'])}"]),
        ],
        [
            box("main", [f"Reports assessed for eligibility {_n(t['dbr_assessed'])}"]),
            box(
                "side",
                [
                    f"Reports excluded {_n(sum(t['dbr_excluded'].values()))}",
                    *_lines_of(t["dbr_excluded"]),
                    f"Reports awaiting a decision {_n(d['dbr_reports_awaiting'])}",
                ],
            ),
            box("omain", [f"Reports assessed for eligibility {_n(t['other_assessed'])}"]),
            box(
                "oside",
                [
                    f"Reports excluded {_n(sum(t['other_excluded'].values()))}",
                    *_lines_of(t["other_excluded"]),
                    f"Reports awaiting a decision {_n(d['other_reports_awaiting'])}",
                ],
            ),
        ],
        [
            box(
                "main",
                [
                    f"New studies included in review {_n(t['new_studies'])}",
                    f"Reports of new included studies {_n(t['new_reports'])}",
                ],
                min_height=90,  # room for the "Included" label beside it
            ),
        ],
    ]
    top = 20 + (LINE + 10 if title else 0)
    y = top
    for row in rows:
        for b in row:
            b.y = y
        y += max(b.height for b in row) + GAP
    note = None
    if counts.stopping_note:  # the stopping rule and the recall it guarantees, under the figure
        note = Box(col["main"], total_width - col["main"] - 20, [f"Note: {counts.stopping_note}"])
        note.y = y
        y += note.height + GAP
    height = y - GAP + 20
    body: list[str] = []
    if generated:  # under the figure, small: when the counts were taken
        body.append(
            f'<text x="{col["main"]}" y="{height + LINE - 8}" font-size="{FONT - 2}" '
            f'fill="#444444">Generated from the review {escape(generated)}</text>'
        )
        height += LINE
    if title:
        body.append(
            f'<text x="{col["main"]}" y="{20 + LINE - 4}" font-weight="bold" '
            f'font-size="{FONT + 2}">{escape(title)}</text>'
        )
    # phases: Identification (row 1), Screening (rows 2-4), Included (row 5)
    for label, first, last in (("Identification", 1, 1), ("Screening", 2, 4), ("Included", 5, 5)):
        y0 = rows[first][0].y
        y1 = max(b.y + b.height for b in rows[last])
        middle = (y0 + y1) // 2
        body.append(
            f'<rect x="15" y="{y0}" width="34" height="{y1 - y0}" fill="#cfe2f3" '
            'stroke="#000000" stroke-width="1.2"/>'
        )
        body.append(
            f'<text x="32" y="{middle}" text-anchor="middle" font-weight="bold" '
            f'transform="rotate(-90 32 {middle})">{label}</text>'
        )
    for row in rows:
        body.extend(b.svg() for b in row)
    if note is not None:
        body.append(note.svg())
    # arrows: down each main column, right to each side box, and into the included box
    for main, side in (("main", "side"), ("omain", "oside")):
        mains = [b for row in rows[1:] for b in row if b.x == col[main]]
        for upper, lower in itertools.pairwise(mains):
            x = upper.x + upper.width // 2
            body.append(_arrow(x, upper.y + upper.height, x, lower.y))
        for row in rows[1:5]:
            left = next(b for b in row if b.x == col[main])
            right = next(b for b in row if b.x == col[side])
            middle = left.y + min(left.height, right.height) // 2
            body.append(_arrow(left.x + left.width, middle, right.x, middle))
    included = rows[5][0]
    assessed = next(b for b in rows[4] if b.x == col["omain"])
    x = assessed.x + assessed.width // 2
    mid = included.y + included.height // 2
    body.append(
        f'<polyline points="{x},{assessed.y + assessed.height} {x},{mid} '
        f'{included.x + included.width + 8},{mid}" fill="none" stroke="#000000" '
        'stroke-width="1.2"/>'
    )
    body.append(_arrow(included.x + included.width + 8, mid, included.x + included.width, mid))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_width}" height="{height}" '
        f'viewBox="0 0 {total_width} {height}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="{FONT}" role="img">\n'
        f"<title>{escape(title or 'PRISMA 2020 flow diagram')}</title>\n"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#000000"/></marker></defs>\n'
        f'<rect width="{total_width}" height="{height}" fill="#ffffff"/>\n'
        + "\n".join(body)
        + "\n</svg>\n"
    )


def _arrow(x1: int, y1: int, x2: int, y2: int) -> str:
    return (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#000000" stroke-width="1.2" '
        'marker-end="url(#arrow)"/>'
    )


def diagram_html(counts: Counts, title: str = "", generated: str = "") -> str:
    """A standalone page: the diagram, then every count under its template id. `title` is the
    review's; `generated` says when the counts were taken."""
    heading = f"PRISMA 2020 flow diagram: {title}" if title else "PRISMA 2020 flow diagram"
    rows = []
    values = {**counts.template(), **counts.details()}
    for key, value in values.items():
        shown = (
            "; ".join(f"{name}: {n}" for name, n in value.items()) or "-"
            if isinstance(value, dict)
            else str(value)
        )
        rows.append(f"<tr><td><code>{escape(key)}</code></td><td>{escape(shown)}</td></tr>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(heading)}</title>\n<style>\n"
        "body { font-family: Helvetica, Arial, sans-serif; color: #000; background: #fff; "
        "margin: 1.5em; }\n"
        "svg { max-width: 100%; height: auto; }\n"
        "table { border-collapse: collapse; margin-top: 1.5em; }\n"
        "td { border: 1px solid #999; padding: 2px 8px; }\n"
        "@media print { @page { size: landscape; margin: 1cm; } body { margin: 0; } "
        "table { page-break-before: always; } }\n"
        "</style>\n</head>\n<body>\n"
        f"<h1>{escape(heading)}</h1>\n"
        + (
            f'<p class="generated">Generated from the review {escape(generated)} (its last '
            "change). <code>slr run --out DIR</code> rewrites it from the review's current "
            "state.</p>\n"
            if generated
            else ""
        )
        + diagram_svg(counts)
        + "<table>\n<tr><th>PRISMA2020 data id</th><th>n</th></tr>\n"
        + "\n".join(rows)
        + "\n</table>\n</body>\n</html>\n"
    )
