"""The store's import transaction (raw fields as plain JSON: tests/test_import_raw.py)."""

from __future__ import annotations


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
