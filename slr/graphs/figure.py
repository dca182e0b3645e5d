"""Figures for the paper: a map as a static SVG drawn from the same layout, colours and legend
as its page (no interactive chrome), and the synergy matrix as a heatmap SVG (one panel per
period, side by side). Sized for a journal column: 84 mm wide (one column) for a small map or
matrix, 174 mm (the text width) otherwise; the unit is the point, text is 7 pt."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from slr.graphs.build import SynergyMatrix

POINTS_PER_MM = 72 / 25.4
COLUMN_MM = 84.0  # one column of a two-column journal page
WIDE_MM = 174.0  # the text width: a figure across both columns
SMALL_MAP = 12  # nodes up to which a map fits one column
FONT = 7.0
TITLE_FONT = 9.0
MARGIN = 8.0
# Helvetica's average advance is about half the font size; a little more, so that an estimated
# label box is never smaller than the drawn one
CHAR_WIDTH = 0.58


@dataclass(slots=True)
class Drawing:
    """What a page and a figure both draw: the part of the graph, the same positions (px),
    disc radii (px), colours and legend."""

    graph: nx.Graph
    note: str
    positions: dict[Any, tuple]
    radius: dict[Any, float]
    colour: dict[Any, str]
    legend: list[tuple[str, str]]
    seeds: set[Any]


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def meets(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


def text_width(text: str, size: float = FONT) -> float:
    return len(text) * size * CHAR_WIDTH


def place_labels(
    discs: Sequence[tuple[float, float, float]],
    names: Sequence[str],
    order: Sequence[int],
    frame: Box,
    size: float = FONT,
    taken: Sequence[Box] = (),
) -> dict[int, Box]:
    """Where each disc's label goes: the discs taken in `order` (most important first), each
    label below, above, right or left of its disc where it meets no placed label and no disc
    as large as its own, and stays inside `frame`; a label that fits nowhere is left out
    (VOSviewer's rule: the names of the large nodes over the small ones). `taken`: boxes
    already drawn (the counts on the edges). The same rule as the page's."""
    line = size * 1.25
    # the discs first, so that the index of a disc's box is the disc's
    occupied = [Box(x - r, y - r, 2 * r, 2 * r) for x, y, r in discs] + list(taken)
    placed: dict[int, Box] = {}
    for index in order:
        x, y, r = discs[index]
        w = text_width(names[index], size)
        for box in (
            Box(x - w / 2, y + r + 1, w, line),
            Box(x - w / 2, y - r - 1 - line, w, line),
            Box(x + r + 2, y - line / 2, w, line),
            Box(x - r - 2 - w, y - line / 2, w, line),
        ):
            inside = (
                box.x >= frame.x
                and box.y >= frame.y
                and box.x + box.w <= frame.x + frame.w
                and box.y + box.h <= frame.y + frame.h
            )
            # a label may cover the discs of nodes smaller than its own, never a label
            if inside and not any(
                box.meets(other)
                for k, other in enumerate(occupied)
                if k != index and (k >= len(discs) or discs[k][2] >= r)
            ):
                placed[index] = box
                occupied.append(box)
                break
    return placed


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, size: float = FONT, **attributes: str) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in attributes.items())
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" font-size="{_number(size)}"{extra}>'
        f"{escape(text)}</text>"
    )


def _legend(entries: Sequence[tuple[str, str]], top: float, width: float, ring: str) -> tuple:
    """Legend entries (swatch and text) in as many equal columns as the widest fits; returns
    the SVG and its height."""
    if not entries:
        return "", 0.0
    column = max(12 + text_width(label) + 10 for label, _colour in entries)
    columns = max(1, min(len(entries), int((width - 2 * MARGIN) // column)))
    rows = math.ceil(len(entries) / columns)
    parts = []
    for index, (label, colour) in enumerate(entries):
        x = MARGIN + (index // rows) * column
        y = top + FONT + (index % rows) * FONT * 1.5
        if colour == ring:
            parts.append(
                f'<circle cx="{_number(x + 3)}" cy="{_number(y - 2.3)}" r="2.6" fill="#fff" '
                f'stroke="{ring}" stroke-width="1.2"/>'
            )
        else:
            parts.append(
                f'<circle cx="{_number(x + 3)}" cy="{_number(y - 2.3)}" r="3" fill="{colour}"/>'
            )
        parts.append(_text(x + 9, y, label))
    return "\n".join(parts), rows * FONT * 1.5


def _caption(graph: nx.Graph, written: bool) -> str:
    kind = graph.graph.get("kind")
    if kind in ("cooccurrence", "keywords"):
        what = "tag" if kind == "cooccurrence" else "keyword"
        strength = graph.graph.get("normalize", "count")
        line = "studies with both" if strength == "count" else f"{strength} strength"
        if written:
            line += " (the number of studies written on it)"
        return f"Disc area: studies with the {what}; line width: {line}."
    if kind == "citation":
        return "Disc area: times cited within the set; a line joins a citing and a cited study."
    if kind == "cocitation":
        return "Disc area: times cited within the set; line width: studies citing both."
    if kind == "coupling":
        return "Line width: references two studies share."
    return "Line width: studies behind the link."


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_number(width / POINTS_PER_MM)}mm" '
        f'height="{_number(height / POINTS_PER_MM)}mm" '
        f'viewBox="0 0 {_number(width)} {_number(height)}" '
        'font-family="Helvetica, Arial, sans-serif" fill="#222">\n'
        f"<title>{escape(title)}</title>\n"
        f'<rect width="{_number(width)}" height="{_number(height)}" fill="#fff"/>\n'
        + "\n".join(body)
        + "\n</svg>\n"
    )


def map_svg(drawn: Drawing, ring: str) -> str:
    """The map as the page draws it, scaled to the column: edges (width by weight, counts at
    their middle where they fit), discs, the labels that fit, a title, the legend and a line
    saying what sizes and widths mean."""
    graph = drawn.graph
    width = (COLUMN_MM if len(graph) <= SMALL_MAP else WIDE_MM) * POINTS_PER_MM
    title = str(graph.graph.get("title", "graph"))
    nodes = list(graph.nodes)
    if nodes:
        left = min(drawn.positions[n][0] - drawn.radius[n] for n in nodes)
        right = max(drawn.positions[n][0] + drawn.radius[n] for n in nodes)
        top = min(drawn.positions[n][1] - drawn.radius[n] for n in nodes)
        bottom = max(drawn.positions[n][1] + drawn.radius[n] for n in nodes)
    else:
        left = right = top = bottom = 0.0
    inner = width - 2 * MARGIN
    # room around the map for the labels of its outer discs
    pad = 3 * FONT
    scale = min(
        (inner - 2 * pad) / max(right - left, 1.0),
        1.2 * inner / max(bottom - top, 1.0),
        0.6 if len(graph) <= SMALL_MAP else 10.0,  # four tags are not discs of an inch
    )
    map_top = MARGIN + TITLE_FONT + 6
    map_height = (bottom - top) * scale + 2 * pad
    offset_x = MARGIN + (inner - (right - left) * scale) / 2

    def at(node: Any) -> tuple[float, float]:
        x, y = drawn.positions[node]
        return offset_x + (x - left) * scale, map_top + pad + (y - top) * scale

    body = [_text(MARGIN, MARGIN + TITLE_FONT, title, TITLE_FONT, font_weight="bold")]
    if drawn.note:
        body.append(_text(MARGIN, map_top + 2, drawn.note, FONT - 1, fill="#666"))
    weights = [float(d.get("weight", 1)) for *_e, d in graph.edges(data=True)]
    largest = max(weights, default=1.0)
    same = not weights or min(weights) == largest  # a citation is a citation: all thin
    body.append('<g stroke-linecap="round" stroke-opacity="0.45">')
    middles = []
    for a, b, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = at(a), at(b)
        stroke = 0.5 if same or not largest else 0.3 + 2.2 * float(data.get("weight", 1)) / largest
        body.append(
            f'<line x1="{_number(x1)}" y1="{_number(y1)}" x2="{_number(x2)}" y2="{_number(y2)}" '
            f'stroke="{drawn.colour[a]}" stroke-width="{_number(stroke)}"/>'
        )
        middles.append(((x1 + x2) / 2, (y1 + y2) / 2, str(data.get("count", ""))))
    body.append("</g>")
    body.append('<g stroke="#fff" stroke-width="0.4">')
    discs = []
    for node in nodes:
        x, y = at(node)
        r = max(drawn.radius[node] * scale, 0.8)
        discs.append((x, y, r))
        ring_attributes = f' stroke="{ring}" stroke-width="1.2"' if node in drawn.seeds else ""
        body.append(
            f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(r)}" '
            f'fill="{drawn.colour[node]}"{ring_attributes}/>'
        )
    body.append("</g>")
    names = [str(graph.nodes[n].get("label", n)) for n in nodes]
    order = sorted(range(len(nodes)), key=lambda i: (-discs[i][2], i))
    frame = Box(MARGIN, map_top, inner, map_height)
    # the counts first: each has one place, at its edge's middle; the names then go around
    written = graph.graph.get("kind") in ("cooccurrence", "keywords") and len(middles) <= 100
    counts: list[Box] = []
    body.append('<g font-size="7">')
    if written:
        for x, y, count in middles:
            w = text_width(count, FONT - 1)
            box = Box(x - w / 2, y - FONT / 2, w, FONT)
            if not any(box.meets(Box(a - r, b - r, 2 * r, 2 * r)) for a, b, r in discs) and not (
                any(box.meets(other) for other in counts)
            ):
                counts.append(box)
                body.append(_text(box.x, box.y + FONT - 1, count, FONT - 1, fill="#555"))
    placed = place_labels(discs, names, order, frame, taken=counts)
    for index, box in sorted(placed.items()):
        body.append(_text(box.x, box.y + FONT, names[index]))
    body.append("</g>")
    legend_top = map_top + map_height + 4
    legend, legend_height = _legend(drawn.legend, legend_top, width, ring)
    body.append(legend)
    caption_y = legend_top + legend_height + FONT
    for line in _wrap(_caption(graph, written), width - 2 * MARGIN, FONT - 0.5):
        body.append(_text(MARGIN, caption_y, line, FONT - 0.5, fill="#444"))
        caption_y += FONT * 1.2
    return _svg(width, caption_y - FONT * 1.2 + MARGIN, title, body)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """The words of `text` in lines no wider than `width` (a longer word alone on its line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


CELL = 14.0  # points a side of a matrix cell


def _shade(value: float) -> str:
    """White to the first palette blue (#1f77b4) as the value goes from 0 to 1."""
    r, g, b = 0x1F, 0x77, 0xB4
    mix = 0.1 + 0.9 * value

    def channel(c: int) -> int:
        return round(255 + (c - 255) * mix)

    return f"#{channel(r):02x}{channel(g):02x}{channel(b):02x}"


def _largest(matrix: SynergyMatrix) -> float:
    return max(
        (v for i, row in enumerate(matrix.strengths) for j, v in enumerate(row) if i != j),
        default=0.0,
    )


def matrix_panel(
    matrix: SynergyMatrix, title: str, x0: float, y0: float, largest: float
) -> tuple[list[str], float, float]:
    """One heatmap: tag names at the left and (turned) at the top, counts in the cells, the
    shade by the strength, single-tag counts on a grey diagonal. Each cell carries its studies
    (data-studies) for the page that shows it. Returns the SVG parts and the panel's size."""
    tags = matrix.tags
    side = max((text_width(t) for t in tags), default=0.0) + 4
    body = [_text(x0, y0 + FONT + 1, title, FONT + 0.5, font_weight="bold")]
    grid_x = x0 + side
    grid_y = y0 + FONT + 6 + side
    for j, tag in enumerate(tags):
        cx = grid_x + j * CELL + CELL / 2 + FONT / 3
        body.append(
            f'<text x="{_number(cx)}" y="{_number(grid_y - 3)}" font-size="{_number(FONT)}" '
            f'transform="rotate(-90 {_number(cx)} {_number(grid_y - 3)})">{escape(tag)}</text>'
        )
    for i, tag in enumerate(tags):
        y = grid_y + i * CELL
        body.append(_text(grid_x - 3, y + CELL / 2 + FONT / 3, tag, text_anchor="end"))
        for j in range(len(tags)):
            x = grid_x + j * CELL
            count = matrix.counts[i][j]
            if i == j:
                fill, colour = "#e6e6e6", "#444"
                hint = f"{tag}: {count} {'study' if count == 1 else 'studies'}"
            else:
                share = matrix.strengths[i][j] / largest if largest else 0.0
                fill = _shade(share) if count else "#fafafa"
                colour = "#fff" if share > 0.55 else "#222"
                hint = (
                    f"{tag} + {tags[j]}: {count} {'study' if count == 1 else 'studies'}"
                    + ("" if matrix.normalize == "count" else f", {matrix.normalize} ")
                    + ("" if matrix.normalize == "count" else f"{matrix.strengths[i][j]:g}")
                )
            studies = ",".join(str(s) for s in matrix.studies[i][j])
            body.append(
                f'<g class="cell" data-studies="{studies}" data-title={quoteattr(hint)}>'
                f"<title>{escape(hint)}</title>"
                f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(CELL)}" '
                f'height="{_number(CELL)}" fill="{fill}" stroke="#fff" stroke-width="0.8"/>'
            )
            if count:
                body.append(
                    _text(
                        x + CELL / 2,
                        y + CELL / 2 + FONT / 3,
                        str(count),
                        FONT - 0.5,
                        text_anchor="middle",
                        fill=colour,
                    )
                )
            body.append("</g>")
    width = max(side + len(tags) * CELL, text_width(title, FONT + 0.5))
    return body, width, grid_y - y0 + len(tags) * CELL


def matrix_svg(panels: Mapping[str, SynergyMatrix], title: str) -> str:
    """The synergy matrices, one panel per name ("" for the whole stage, else each period)
    side by side in rows that fit the width, under one title and over a one-line key."""
    count = len(panels)
    small = count == 1 and len(next(iter(panels.values())).tags) <= 8
    width = (COLUMN_MM if small else WIDE_MM) * POINTS_PER_MM
    body = [_text(MARGIN, MARGIN + TITLE_FONT, title, TITLE_FONT, font_weight="bold")]
    x, y = MARGIN, MARGIN + TITLE_FONT + 6
    row_height = 0.0
    # one shade scale for every panel, so that periods compare at a glance
    largest = max((_largest(matrix) for matrix in panels.values()), default=0.0)
    for name, matrix in panels.items():
        _parts, panel_width, panel_height = matrix_panel(
            matrix, name or "all studies", 0, 0, largest
        )
        if x > MARGIN and x + panel_width > width - MARGIN:
            x, y = MARGIN, y + row_height + 10
            row_height = 0.0
        parts, _width, _height = matrix_panel(matrix, name or "all studies", x, y, largest)
        body.extend(parts)
        x += panel_width + 14
        row_height = max(row_height, panel_height)
    normalize = next(iter(panels.values())).normalize if panels else "count"
    key = "Cells: studies with both tags"
    key += "" if normalize == "count" else f", shaded by {normalize} strength"
    key += "; diagonal: studies with the tag."
    y += row_height + FONT + 6
    for line in _wrap(key, width - 2 * MARGIN, FONT - 0.5):
        body.append(_text(MARGIN, y, line, FONT - 0.5, fill="#444"))
        y += FONT * 1.2
    y -= FONT * 1.2
    width = max(width, x - 14 + MARGIN) if count == 1 else width
    return _svg(width, y + MARGIN, title, body)
