"""Schema migrations as named functions, keyed on PRAGMA user_version."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from slr.errors import SchemaVersionError


def _v1_initial(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        -- One row per imported export file: the PRISMA-S record of the search.
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            file_name TEXT NOT NULL,
            stored_path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            format TEXT NOT NULL,
            flavour TEXT NOT NULL DEFAULT '',
            encoding TEXT NOT NULL,
            database TEXT NOT NULL DEFAULT '',
            method TEXT NOT NULL DEFAULT 'database',
            search_string TEXT NOT NULL DEFAULT '',
            searched_on TEXT NOT NULL DEFAULT '',
            imported_at TEXT NOT NULL,
            records INTEGER NOT NULL,
            failures INTEGER NOT NULL,
            warnings TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX sources_sha256 ON sources(sha256);

        CREATE TABLE import_failures (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            line INTEGER NOT NULL,
            reason TEXT NOT NULL,
            excerpt TEXT NOT NULL DEFAULT ''
        );

        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            source_index INTEGER NOT NULL,
            line INTEGER NOT NULL DEFAULT 0,
            title TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            year INTEGER,
            source_title TEXT NOT NULL DEFAULT '',
            volume TEXT NOT NULL DEFAULT '',
            issue TEXT NOT NULL DEFAULT '',
            pages TEXT NOT NULL DEFAULT '',
            doi TEXT NOT NULL DEFAULT '',
            pmid TEXT NOT NULL DEFAULT '',
            issn TEXT NOT NULL DEFAULT '[]',
            isbn TEXT NOT NULL DEFAULT '[]',
            abstract TEXT NOT NULL DEFAULT '',
            copyright TEXT NOT NULL DEFAULT '',
            author_keywords TEXT NOT NULL DEFAULT '[]',
            index_keywords TEXT NOT NULL DEFAULT '[]',
            language TEXT NOT NULL DEFAULT '',
            document_type TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            publisher TEXT NOT NULL DEFAULT '',
            ids TEXT NOT NULL DEFAULT '{}',
            cited_references TEXT NOT NULL DEFAULT '[]',
            cited_dois TEXT NOT NULL DEFAULT '[]',
            raw TEXT NOT NULL DEFAULT '{}',
            duplicate_of INTEGER REFERENCES records(id),
            UNIQUE (source_id, source_index)
        );
        CREATE INDEX records_doi ON records(doi) WHERE doi <> '';
        CREATE INDEX records_duplicate_of ON records(duplicate_of) WHERE duplicate_of IS NOT NULL;

        -- Append-only log of every change; later stages derive PRISMA counts from it.
        CREATE TABLE log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id INTEGER,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TRIGGER log_no_update BEFORE UPDATE ON log
            BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
        CREATE TRIGGER log_no_delete BEFORE DELETE ON log
            BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;

        -- The database itself writes the log, so no code path can change data unlogged.
        CREATE TRIGGER sources_logged_insert AFTER INSERT ON sources BEGIN
            INSERT INTO log (action, entity, entity_id, detail) VALUES ('insert', 'source', NEW.id,
                json_object('file', NEW.file_name, 'sha256', NEW.sha256, 'format', NEW.format,
                            'database', NEW.database, 'method', NEW.method,
                            'records', NEW.records, 'failures', NEW.failures));
        END;
        CREATE TRIGGER sources_logged_delete AFTER DELETE ON sources BEGIN
            INSERT INTO log (action, entity, entity_id, detail)
            VALUES ('delete', 'source', OLD.id, json_object('file', OLD.file_name));
        END;
        CREATE TRIGGER records_logged_insert AFTER INSERT ON records BEGIN
            INSERT INTO log (action, entity, entity_id, detail)
            VALUES ('insert', 'record', NEW.id, json_object('source_id', NEW.source_id));
        END;
        CREATE TRIGGER records_logged_update AFTER UPDATE ON records BEGIN
            INSERT INTO log (action, entity, entity_id, detail)
            VALUES ('update', 'record', NEW.id, json_object(
                'duplicate_of', json_array(OLD.duplicate_of, NEW.duplicate_of),
                'fields_changed', (OLD.title, OLD.authors, OLD.year, OLD.source_title, OLD.volume,
                    OLD.issue, OLD.pages, OLD.doi, OLD.pmid, OLD.abstract, OLD.ids)
                    IS NOT (NEW.title, NEW.authors, NEW.year, NEW.source_title, NEW.volume,
                    NEW.issue, NEW.pages, NEW.doi, NEW.pmid, NEW.abstract, NEW.ids)));
        END;
        CREATE TRIGGER records_logged_delete AFTER DELETE ON records BEGIN
            INSERT INTO log (action, entity, entity_id, detail)
            VALUES ('delete', 'record', OLD.id, json_object('source_id', OLD.source_id));
        END;
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_initial]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION; refuse a database written by a newer slr."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"this review was written by a newer slr (schema {version}; this slr knows up to "
            f"{SCHEMA_VERSION})",
            "upgrade slr (pip install -U slr) before opening this review",
        )
    for number in range(version, SCHEMA_VERSION):
        with db:
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")
    return SCHEMA_VERSION
