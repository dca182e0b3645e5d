"""Import -> export -> import keeps title, authors, year, DOI and abstract, in every format."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slr.export import EXPORT_FORMATS, write_records
from slr.importers import parse_text
from slr.importing import import_files
from slr.models import Author, Record
from slr.normalize import clean_text, split_copyright, strip_markup
from slr.store import Review, StoredRecord

TRICKY = [
    Record(
        title="Cross-border e-commerce: {braces}, 50% & $5 costs_under \\ backslash",
        authors=[
            Author("Örücü", "Deniz"),
            Author("van der Berg", "J."),
            Author(literal="World Health Organization"),
        ],
        year=2021,
        doi="10.1000/abc(12)-x",
        abstract="Line one. Line two; with “quotes”, 1--2 and a---b.",
    ),
    Record(
        title="Jastip and daigou: personal shoppers in Asia",
        authors=[Author("Lee", "")],
        year=1999,
        doi="",
        abstract="",
    ),
    Record(
        title='A title, with commas, and "double quotes"',
        authors=[],
        year=None,
        doi="10.1177/0022242919854374",
        abstract="Results: p < 0.05 & x > y.",
    ),
]


def essentials(record: Record) -> tuple[object, ...]:
    return (
        record.title,
        [(a.family, a.given, a.literal) for a in record.authors],
        record.year,
        record.doi,
        record.abstract,
    )


def stored(records: list[Record]) -> list[StoredRecord]:
    return [StoredRecord(i, 1, i, "x", "Test", None, r) for i, r in enumerate(records, 1)]


@pytest.mark.parametrize("format_name", sorted(EXPORT_FORMATS))
def test_tricky_records_survive_a_round_trip(format_name: str) -> None:
    text = write_records(stored(TRICKY), format_name)
    result = parse_text(text, f"out.{format_name}")
    assert result.failures == []
    assert [essentials(r) for r in result.records] == [essentials(r) for r in TRICKY]


_WORDS = (
    st.text(
        st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=40
    )
    .map(clean_text)
    # import reads HTML entities and tags as markup ("&lt" comes back as "<"), by design
    .filter(lambda text: bool(text) and strip_markup(text) == text)
)
# NFC, as clean_text stores names (CJK compatibility ideographs change under NFC)
_NAME = st.text(st.characters(categories=("L",)), min_size=2, max_size=12).map(
    lambda name: unicodedata.normalize("NFC", name)
)
_RECORD = st.builds(
    Record,
    title=_WORDS,
    authors=st.lists(st.builds(Author, family=_NAME, given=_NAME), max_size=4),
    year=st.one_of(st.none(), st.integers(1900, 2030)),
    doi=st.one_of(
        st.just(""), st.from_regex(r"10\.[0-9]{4}/[a-z0-9.()-]{1,20}[a-z0-9]", fullmatch=True)
    ),
    # an abstract that ends in a copyright notice is split on import, by design
    abstract=_WORDS.filter(lambda text: not split_copyright(text)[1]),
)


@pytest.mark.parametrize("format_name", sorted(EXPORT_FORMATS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(_RECORD, min_size=1, max_size=5))
def test_random_records_survive_a_round_trip(format_name: str, records: list[Record]) -> None:
    text = write_records(stored(records), format_name)
    result = parse_text(text, f"out.{format_name}")
    assert result.failures == []
    assert [essentials(r) for r in result.records] == [essentials(r) for r in records]


def test_store_round_trip_through_files(tmp_path: Path) -> None:
    first = Review.create(tmp_path / "one")
    ris = tmp_path / "in.ris"
    ris.write_text(write_records(stored(TRICKY), "ris"), encoding="utf-8")
    import_files(first, [ris])
    for format_name in sorted(EXPORT_FORMATS):
        out = tmp_path / f"out.{format_name}"
        out.write_text(write_records(first.iter_records(), format_name), encoding="utf-8")
        with Review.create(tmp_path / f"two-{format_name}") as second:
            import_files(second, [out])
            assert [essentials(s.record) for s in second.iter_records()] == [
                essentials(r) for r in TRICKY
            ]
    first.close()
