"""The store's packing of raw fields: whatever an export holds comes back as it was."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from slr.models import Record
from slr.store.review import _raw_json, _unpack_raw

TEXTS = st.text(alphabet="ab=\x00", max_size=6)
VALUES = st.one_of(TEXTS, st.lists(TEXTS, max_size=3), st.integers(-1000, 1000), st.none())


KEYS = st.sampled_from(["AB", "TI", "N1", "\x00=title", "X"])


@given(st.dictionaries(KEYS, VALUES), TEXTS, TEXTS)
def test_raw_fields_come_back_as_they_were(raw: dict, title: str, abstract: str) -> None:
    record = Record(title=title, abstract=abstract, raw=dict(raw))
    stored = json.loads(_raw_json(record))
    assert _unpack_raw(stored, {"title": title, "abstract": abstract}) == raw


def test_the_title_and_abstract_are_stored_once() -> None:
    record = Record(title="T", abstract="A long abstract", raw={"TI": "T", "AB": "A long abstract"})
    assert _raw_json(record) == '{"TI":"\\u0000=title","AB":"\\u0000=abstract"}'


def test_the_import_page_cache_grows_with_the_files(tmp_path) -> None:
    from slr.store import Review
    from slr.store.review import bulk_cache_kib

    mb = 1024 * 1024
    assert bulk_cache_kib(0) == bulk_cache_kib(200 * mb) == 16 * 1024
    assert bulk_cache_kib(1000 * mb) == 50 * 1024
    assert bulk_cache_kib(100_000 * mb) == 256 * 1024
    review = Review.create(tmp_path / "review")
    try:
        with review.import_transaction(1000 * mb):
            assert review.db.execute("PRAGMA cache_size").fetchone()[0] == -50 * 1024
        assert review.db.execute("PRAGMA cache_size").fetchone()[0] == -2000
    finally:
        review.close()
