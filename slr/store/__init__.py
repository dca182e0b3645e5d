"""The review store: one directory, one SQLite database, verbatim copies of every import."""

from slr.store.review import DB_NAME, PROTOCOL_NAME, SOURCES_DIR, Review, StoredRecord

__all__ = ["DB_NAME", "PROTOCOL_NAME", "SOURCES_DIR", "Review", "StoredRecord"]
