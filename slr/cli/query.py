"""`slr query 'EXPR'`: try a rule on the review's records before putting it in the protocol."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.common import review_option
from slr.cli.screen import protocol_option
from slr.errors import ProtocolError, SlrError
from slr.normalize.words import counted
from slr.protocol import QuerySyntaxError
from slr.screening.engine import STAGES, QueryError
from slr.screening.run import Hit, find
from slr.screening.status import protocol_of
from slr.screening.text import Span
from slr.store import Review

_CONTEXT = 50  # characters of abstract shown around a match
_SHOWN_FIELDS = ("abstract", "keywords", "authors", "source")  # with the matching words marked


@click.command()
@review_option
@click.argument("expression")
@click.option(
    "--stage",
    type=click.Choice(STAGES),
    help="full_text: only the records included at title/abstract (default: every record).",
)
@click.option("--count", is_flag=True, help="Print only how many records match.")
@protocol_option
def query(
    review_dir: Path, expression: str, stage: str | None, count: bool, protocol_file: Path | None
) -> None:
    """List the records EXPRESSION matches, with the matching words in [brackets].

    The language of protocol rules: AND OR NOT ( ) "phrases" wildcards* title: abstract:
    keywords: authors: source: NEAR/n year:2018..2026 type: lang: doi: has: period:
    vocab:NAME>=n; Scopus's TITLE-ABS-KEY( TITLE( ABS( KEY( AUTHKEY( AUTH( SRCTITLE( ALL(
    DOCTYPE(ar) LANGUAGE(english) DOI( PUBYEAR > 2017, W/n PRE/n, and the filters
    LIMIT-TO(DOCTYPE, "ar") and EXCLUDE(...) on DOCTYPE, LANGUAGE, PUBYEAR, SRCTITLE,
    EXACTSRCTITLE, EXACTKEYWORD; Web of Science's TS= TI= AB= AK= KP= AU= SO= DO= LA= DT= PY=;
    PubMed's [tiab] [ti] [ab] [au] [ta] (see protocols/README.md). Any other field code is a
    syntax error. Records marked duplicate are not searched.
    """
    with Review.open(review_dir) as review:
        protocol, _ = protocol_of(review, protocol_file)
        try:
            hits, searched = find(review, expression, protocol, stage)
        except QuerySyntaxError as error:
            raise SlrError(f"query syntax error: {error.message}\n{error.caret()}") from None
        except QueryError as error:
            caret = QuerySyntaxError(error.message, expression, error.position).caret()
            raise ProtocolError(f"{error.message}\n{caret}") from None
    if not count:
        for hit in hits:
            _print_hit(hit)
    click.echo(f"{len(hits)} of {counted(searched, 'record')} match")


def _print_hit(hit: Hit) -> None:
    record = hit.record
    click.echo(
        f"#{record.id} ({record.year or 'n.d.'}) {_marked(record.title, hit.evidence, 'title')}"
    )
    for name in _SHOWN_FIELDS:
        spans = [s for s in hit.evidence if s.field == name]
        if spans:
            click.echo(f"    {name}: {_snippets(record.original(name), spans)}")
    metadata = [s for s in hit.evidence if s.field not in ("title", *_SHOWN_FIELDS)]
    if metadata:
        click.echo("    " + ", ".join(f"{s.field}: {s.text}" for s in _unique(metadata)))


def _unique(spans: list[Span]) -> list[Span]:
    seen: set[tuple[str, str]] = set()
    out = []
    for span in spans:
        if (span.field, span.text) not in seen:
            seen.add((span.field, span.text))
            out.append(span)
    return out


def _merge(spans: list[Span]) -> list[tuple[int, int]]:
    ranges = sorted({(s.start, s.end) for s in spans if s.end > s.start})
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _highlight(text: str) -> str:
    return click.style(f"[{text}]", fg="yellow", bold=True)


def _marked(text: str, spans: list[Span], name: str) -> str:
    out, last = [], 0
    for start, end in _merge([s for s in spans if s.field == name]):
        out.append(text[last:start])
        out.append(_highlight(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


def _snippets(text: str, spans: list[Span]) -> str:
    pieces = []
    for start, end in _merge(spans):
        left = max(0, start - _CONTEXT)
        right = min(len(text), end + _CONTEXT)
        pieces.append(
            ("…" if left else "")
            + text[left:start]
            + _highlight(text[start:end])
            + text[end:right]
            + ("…" if right < len(text) else "")
        )
    return " ".join(pieces)


COMMANDS = (query,)
