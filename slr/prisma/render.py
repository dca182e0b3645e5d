"""One PRISMA output of a review in a named format: what `slr prisma` and `slr run` write."""

from __future__ import annotations

import re

from slr.prisma.counts import prisma_counts
from slr.prisma.diagram import diagram_html, diagram_svg
from slr.prisma.searches import searches, searches_csv, searches_json, searches_markdown
from slr.prisma.template import prisma_csv, prisma_json, prisma_markdown
from slr.screening.status import protocol_of, required_reviewers
from slr.store import Review
from slr.store.history import last_change

FORMATS = ("md", "json", "csv", "svg", "html")
SEARCH_FORMATS = ("md", "json", "csv")


def review_title(review: Review) -> str:
    """The review's title as its outputs show it: the protocol's `[review] title`, else the
    title the review was created with (by default its directory's name)."""
    protocol = protocol_of(review)[0]
    if protocol is not None and protocol.title.strip():
        return protocol.title.strip()
    return review.meta().get("title", "")


def generated_stamp(review: Review) -> str:
    """When what the review holds last changed ("as of 2026-01-05 14:03:12.345 UTC"): the time an
    output of it describes (the same state gives the same bytes, whenever it is written)."""
    at = last_change(review.db)
    return f"as of {at[:23].replace('T', ' ')} UTC" if at else ""  # to the millisecond


OUTPUTS_MANIFEST = "outputs.md"  # what `slr run` wrote, and the state of the review it shows
_STAMP = re.compile(r"Generated from the review (as of [^()\n]+ UTC)")


def outputs_stamp(review: Review) -> str:
    """The state of the review the outputs of the last `slr run` show ("as of ..."), read from
    its OUTPUTS_MANIFEST; '' when no run wrote one."""
    manifest = review.path / OUTPUTS_MANIFEST
    if not manifest.is_file():
        return ""
    found = _STAMP.search(manifest.read_text(encoding="utf-8", errors="replace"))
    return found.group(1) if found else ""


def render_prisma(review: Review, fmt: str, automation: str = "removed", title: str = "") -> str:
    """One PRISMA output; `title` heads the diagram (default: `review_title`)."""
    counts = prisma_counts(review.db, automation, required_reviewers(review))
    title = title or review_title(review)
    if fmt == "json":
        return prisma_json(counts)
    if fmt == "csv":
        return prisma_csv(counts)
    generated = generated_stamp(review)
    if fmt == "svg":
        return diagram_svg(counts, title, generated)
    if fmt == "html":
        return diagram_html(counts, title, generated)
    return prisma_markdown(counts, generated)


def render_searches(review: Review, fmt: str) -> str:
    items = searches(review.db)
    if fmt == "json":
        return searches_json(items)
    if fmt == "csv":
        return searches_csv(items)
    return searches_markdown(items)
