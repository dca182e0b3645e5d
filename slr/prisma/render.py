"""One PRISMA output of a review in a named format: what `slr prisma` and `slr run` write."""

from __future__ import annotations

from slr.prisma.counts import prisma_counts
from slr.prisma.diagram import diagram_html, diagram_svg
from slr.prisma.searches import searches, searches_csv, searches_json, searches_markdown
from slr.prisma.template import prisma_csv, prisma_json, prisma_markdown
from slr.screening.status import required_reviewers
from slr.store import Review

FORMATS = ("md", "json", "csv", "svg", "html")
SEARCH_FORMATS = ("md", "json", "csv")


def render_prisma(review: Review, fmt: str, automation: str = "removed") -> str:
    counts = prisma_counts(review.db, automation, required_reviewers(review))
    title = review.meta().get("title", "")
    if fmt == "json":
        return prisma_json(counts)
    if fmt == "csv":
        return prisma_csv(counts)
    if fmt == "svg":
        return diagram_svg(counts, title)
    if fmt == "html":
        return diagram_html(counts, f"PRISMA 2020 flow diagram: {title}" if title else "")
    return prisma_markdown(counts)


def render_searches(review: Review, fmt: str) -> str:
    items = searches(review.db)
    if fmt == "json":
        return searches_json(items)
    if fmt == "csv":
        return searches_csv(items)
    return searches_markdown(items)
