"""The SQLite schema: migrations as named functions, keyed on PRAGMA user_version. (The
PostgreSQL schema is the final one, written whole in store/postgres.py.)"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from slr.errors import SchemaVersionError
from slr.store.transaction import ReviewConnection, write


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run SQL statements one by one inside the caller's transaction (`executescript` would
    commit first, so a failing step would leave half its tables behind)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        db.execute(statement)


# (entity logged, its id as SQL with {p} for NEW or OLD, json_object arguments with {p})
LoggedTables = dict[str, tuple[str, str, str]]


# The tables whose every change the database logs, with the entity, id and detail it logs;
# shared by the SQLite migrations below and the PostgreSQL schema (store/postgres.py).
LOGGED_DEDUP: LoggedTables = {
    "dedup_runs": ("dedup_run", "{p}.id", "'records', {p}.records, 'candidates', {p}.candidates"),
    "dedup_clusters": (
        "dedup_cluster",
        "{p}.id",
        "'kept_id', {p}.kept_id, 'made_by', {p}.made_by",
    ),
    "dedup_members": (
        "dedup_member",
        "{p}.record_id",
        "'cluster_id', {p}.cluster_id, 'record_id', {p}.record_id, 'role', {p}.role, "
        "'rule', {p}.rule, 'score', {p}.score",
    ),
    "dedup_pairs": (
        "dedup_pair",
        "{p}.id",
        "'record_a', {p}.record_a, 'record_b', {p}.record_b, 'outcome', {p}.outcome, "
        "'rule', {p}.rule, 'score', {p}.score",
    ),
    "dedup_decisions": (
        "dedup_decision",
        "{p}.id",
        "'record_a', {p}.record_a, 'record_b', {p}.record_b, 'decision', {p}.decision",
    ),
    "dedup_merged_fields": (
        "dedup_merged_field",
        "{p}.cluster_id",
        "'cluster_id', {p}.cluster_id, 'field', {p}.field, 'from_record', {p}.from_record",
    ),
}
LOGGED_SCREENING: LoggedTables = {
    "decisions": (
        "decision",
        "{p}.id",
        "'record_id', {p}.record_id, 'stage', {p}.stage, 'decision', {p}.decision, "
        "'reason', {p}.reason, 'reviewer', {p}.reviewer, 'run_id', {p}.run_id",
    ),
    "screen_runs": (
        "screen_run",
        "{p}.id",
        "'stages', {p}.stages, 'rules', {p}.rules, 'records', {p}.records, "
        "'added', {p}.added, 'changed', {p}.changed, 'removed', {p}.removed, "
        "'undone_at', {p}.undone_at",
    ),
}
LOGGED_HUMAN_SCREENING: LoggedTables = {
    "screen_notes": (
        "screen_note",
        "{p}.id",
        "'record_id', {p}.record_id, 'stage', {p}.stage, 'reviewer', {p}.reviewer, "
        "'note', {p}.note",
    ),
    "final_decisions": (
        "final_decision",
        "{p}.id",
        "'record_id', {p}.record_id, 'stage', {p}.stage, 'decision', {p}.decision, "
        "'reason', {p}.reason, 'resolved_by', {p}.resolved_by",
    ),
    "fulltexts": (
        "fulltext",
        "{p}.id",
        "'record_id', {p}.record_id, 'path', {p}.path, 'sha256', {p}.sha256, "
        "'missing_reason', {p}.missing_reason",
    ),
}
LOGGED_TAGGING: LoggedTables = {
    "tag_runs": (
        "tag_run",
        "{p}.id",
        "'stage', {p}.stage, 'records', {p}.records, 'added', {p}.added, "
        "'changed', {p}.changed, 'removed', {p}.removed",
    ),
    "tagged_records": ("tagged_record", "{p}.record_id", "'run_id', {p}.run_id"),
    "tags": (
        "tag",
        "{p}.record_id",
        "'vocabulary', {p}.vocabulary, 'group', {p}.grp, 'field', {p}.field, "
        # "end" quoted: a reserved word in PostgreSQL
        """'start', {p}.start, 'end', {p}."end", 'text', {p}.text, 'run_id', {p}.run_id""",
    ),
    "tag_overrides": (
        "tag_override",
        "{p}.record_id",
        "'vocabulary', {p}.vocabulary, 'group', {p}.grp, 'action', {p}.action, "
        "'reviewer', {p}.reviewer, 'note', {p}.note",
    ),
    "extraction_values": (
        "extraction_value",
        "{p}.record_id",
        "'field', {p}.field, 'value', {p}.value",
    ),
}
LOGGED_FULLTEXT_FILES: LoggedTables = {
    "fulltext_files": (
        "fulltext_file",
        "{p}.id",
        "'record_id', {p}.record_id, 'path', {p}.path, 'sha256', {p}.sha256, "
        "'pages', {p}.pages, 'text_layer', {p}.text_layer, 'matched_by', {p}.matched_by",
    )
}
LOGGED_STOPS: LoggedTables = {
    "screen_stops": (
        "screen_stop",
        "{p}.id",
        "'stage', {p}.stage, 'rule', {p}.rule, 'parameters', json({p}.parameters), "
        "'statistics', json({p}.statistics), 'forced', {p}.forced, "
        "'records', {p}.records",
    ),
    "stopped_records": ("stopped_record", "{p}.record_id", "'stop_id', {p}.stop_id"),
}
LOGGED_TABLES: LoggedTables = {
    **LOGGED_DEDUP,
    **LOGGED_SCREENING,
    **LOGGED_HUMAN_SCREENING,
    **LOGGED_TAGGING,
    **LOGGED_FULLTEXT_FILES,
    **LOGGED_STOPS,
}


def _log_triggers(db: sqlite3.Connection, tables: LoggedTables) -> None:
    """The database itself writes the log: one trigger per table and event."""
    for table, (entity, entity_id, detail) in tables.items():
        for event, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
            db.execute(
                f"CREATE TRIGGER {table}_logged_{event} AFTER {event.upper()} ON {table} BEGIN "
                f"INSERT INTO log (action, entity, entity_id, detail) VALUES ('{event}', "
                f"'{entity}', {entity_id.format(p=row)}, json_object({detail.format(p=row)})); "
                "END"
            )


def _v1_initial(db: sqlite3.Connection) -> None:
    _script(
        db,
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
        """,
    )


def _v2_dedup(db: sqlite3.Connection) -> None:
    """Deduplication: runs, scored pairs, reviewer decisions, clusters, fields kept records gain.

    Records are never deleted: a duplicate keeps its row and points at its cluster's kept record
    through records.duplicate_of; every insert, update and delete here is logged by a trigger.
    """
    _script(
        db,
        """
        CREATE TABLE dedup_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            settings TEXT NOT NULL DEFAULT '{}',
            records INTEGER NOT NULL,
            candidates INTEGER NOT NULL,
            seconds REAL NOT NULL DEFAULT 0
        );
        CREATE TABLE dedup_clusters (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES dedup_runs(id),
            kept_id INTEGER NOT NULL REFERENCES records(id),
            made_by TEXT NOT NULL DEFAULT 'auto'  -- auto | review
        );
        CREATE TABLE dedup_members (
            cluster_id INTEGER NOT NULL REFERENCES dedup_clusters(id),
            record_id INTEGER NOT NULL UNIQUE REFERENCES records(id),
            role TEXT NOT NULL CHECK (role IN ('kept', 'duplicate')),
            rule TEXT NOT NULL DEFAULT '',
            score REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (cluster_id, record_id)
        );
        -- Pairs worth remembering: duplicates, uncertain pairs and pairs a named rule kept apart.
        CREATE TABLE dedup_pairs (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES dedup_runs(id),
            record_a INTEGER NOT NULL REFERENCES records(id),
            record_b INTEGER NOT NULL REFERENCES records(id),
            outcome TEXT NOT NULL CHECK (outcome IN ('duplicate', 'uncertain', 'distinct')),
            rule TEXT NOT NULL,
            score REAL NOT NULL,
            UNIQUE (record_a, record_b)
        );
        -- A reviewer's word on a pair; later runs respect it.
        CREATE TABLE dedup_decisions (
            id INTEGER PRIMARY KEY,
            record_a INTEGER NOT NULL REFERENCES records(id),
            record_b INTEGER NOT NULL REFERENCES records(id),
            decision TEXT NOT NULL CHECK (decision IN ('merge', 'apart')),
            decided_at TEXT NOT NULL,
            UNIQUE (record_a, record_b)
        );
        -- Fields the kept record lacks and a duplicate supplies (the record row is not changed).
        CREATE TABLE dedup_merged_fields (
            cluster_id INTEGER NOT NULL REFERENCES dedup_clusters(id),
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            from_record INTEGER NOT NULL REFERENCES records(id),
            PRIMARY KEY (cluster_id, field)
        );
        """,
    )
    _log_triggers(db, LOGGED_DEDUP)


def _v3_screening(db: sqlite3.Connection) -> None:
    """Screening decisions, by rules and by people, per stage; runs of `slr screen auto`.

    One row per record, stage and reviewer: "auto:<rule id>" for the rule engine (at most one
    per record and stage), a person's name otherwise. Rules never overwrite a person's decision.
    `screen_run_changes` keeps the row each run replaced, so `slr screen auto --undo` restores
    the decisions exactly. Every insert, update and delete is logged by a trigger.
    """
    _script(
        db,
        """
        CREATE TABLE screen_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            stages TEXT NOT NULL DEFAULT '[]',
            protocol_sha256 TEXT NOT NULL DEFAULT '',
            rules INTEGER NOT NULL DEFAULT 0,
            records INTEGER NOT NULL DEFAULT 0,
            added INTEGER NOT NULL DEFAULT 0,
            changed INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0,
            undone_at TEXT
        );
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES records(id),
            stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
            decision TEXT NOT NULL CHECK (decision IN ('include', 'exclude', 'flag')),
            reason TEXT NOT NULL DEFAULT '',
            reviewer TEXT NOT NULL,
            span_field TEXT NOT NULL DEFAULT '',
            span_start INTEGER,
            span_end INTEGER,
            span_text TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '[]',
            note TEXT NOT NULL DEFAULT '',
            run_id INTEGER REFERENCES screen_runs(id),
            decided_at TEXT NOT NULL,
            UNIQUE (record_id, stage, reviewer)
        );
        CREATE UNIQUE INDEX decisions_one_auto ON decisions(record_id, stage)
            WHERE reviewer LIKE 'auto:%';
        CREATE INDEX decisions_stage ON decisions(stage, decision);
        -- A rule never changes a person's decision, whatever code path tries.
        CREATE TRIGGER decisions_human_kept BEFORE UPDATE ON decisions
            WHEN OLD.reviewer NOT LIKE 'auto:%' AND NEW.reviewer LIKE 'auto:%'
            BEGIN SELECT RAISE(ABORT, 'a reviewer''s decision cannot be replaced by a rule'); END;
        CREATE TABLE screen_run_changes (
            run_id INTEGER NOT NULL REFERENCES screen_runs(id),
            seq INTEGER NOT NULL,
            decision_id INTEGER NOT NULL,
            before TEXT,  -- the row as JSON before the run; NULL when the run added it
            PRIMARY KEY (run_id, seq)
        );
        """,
    )
    _log_triggers(db, LOGGED_SCREENING)


def _v4_human_screening(db: sqlite3.Connection) -> None:
    """Human screening: reviewers' notes, final decisions after conflicts, full-text files.

    A reviewer's decision is a row of `decisions` (a "maybe" is stored as 'flag'); the final
    decision a resolution records is a row of `final_decisions`; `fulltexts` holds the attached
    report of a record or why it could not be retrieved (PRISMA "reports not retrieved").
    Every insert, update and delete is logged by a trigger.
    """
    _script(
        db,
        """
        CREATE TABLE screen_notes (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES records(id),
            stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
            reviewer TEXT NOT NULL,
            note TEXT NOT NULL,
            noted_at TEXT NOT NULL,
            UNIQUE (record_id, stage, reviewer)
        );
        CREATE TABLE final_decisions (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES records(id),
            stage TEXT NOT NULL CHECK (stage IN ('title_abstract', 'full_text')),
            decision TEXT NOT NULL CHECK (decision IN ('include', 'exclude')),
            reason TEXT NOT NULL DEFAULT '',
            resolved_by TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            decided_at TEXT NOT NULL,
            UNIQUE (record_id, stage)
        );
        CREATE TABLE fulltexts (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL UNIQUE REFERENCES records(id),
            path TEXT NOT NULL DEFAULT '',
            original_name TEXT NOT NULL DEFAULT '',
            sha256 TEXT NOT NULL DEFAULT '',
            missing_reason TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            CHECK ((path = '') <> (missing_reason = ''))
        );
        CREATE INDEX decisions_reviewer ON decisions(stage, reviewer);
        """,
    )
    _log_triggers(db, LOGGED_HUMAN_SCREENING)


def _v5_tagging(db: sqlite3.Connection) -> None:
    """Tagging and extraction: automatic tags with their evidence, reviewers' corrections, the
    records each `slr tag` run read, and the extraction fields filled per record.

    `tags` holds what the vocabularies found (replaced by each run, one row per record, vocabulary
    and group); `tag_overrides` holds a reviewer's "add" or "remove", which runs never touch and
    which beat the automatic tags. Every insert, update and delete is logged by a trigger.
    """
    _script(
        db,
        """
        CREATE TABLE tag_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            stage TEXT NOT NULL,
            protocol_sha256 TEXT NOT NULL DEFAULT '',
            records INTEGER NOT NULL DEFAULT 0,
            added INTEGER NOT NULL DEFAULT 0,
            changed INTEGER NOT NULL DEFAULT 0,
            removed INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE tagged_records (
            record_id INTEGER PRIMARY KEY REFERENCES records(id),
            run_id INTEGER NOT NULL REFERENCES tag_runs(id)
        );
        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES records(id),
            vocabulary TEXT NOT NULL,
            grp TEXT NOT NULL,
            field TEXT NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            text TEXT NOT NULL,
            term TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '[]',
            run_id INTEGER REFERENCES tag_runs(id),
            UNIQUE (record_id, vocabulary, grp)
        );
        CREATE TABLE tag_overrides (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES records(id),
            vocabulary TEXT NOT NULL,
            grp TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('add', 'remove')),
            reviewer TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            decided_at TEXT NOT NULL,
            UNIQUE (record_id, vocabulary, grp)
        );
        CREATE TABLE extraction_values (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES records(id),
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (record_id, field)
        );
        """,
    )
    _log_triggers(db, LOGGED_TAGGING)


def _v6_records_logged_by_source(db: sqlite3.Connection) -> None:
    """An import logs its records once, as the id range in its source's log entry.

    An import stores its records first and their source row last (foreign keys deferred to the
    commit), so the source's trigger can name the range. Records are only ever added by an
    import. A trigger on inserted records, even one that logs nothing, makes SQLite keep a
    statement journal for every row: it cost half the time of storing 100,000 records.
    """
    _script(
        db,
        """
        DROP TRIGGER records_logged_insert;
        DROP TRIGGER sources_logged_insert;
        CREATE TRIGGER sources_logged_insert AFTER INSERT ON sources BEGIN
            INSERT INTO log (action, entity, entity_id, detail) VALUES ('insert', 'source', NEW.id,
                json_object('file', NEW.file_name, 'sha256', NEW.sha256, 'format', NEW.format,
                            'database', NEW.database, 'method', NEW.method,
                            'records', NEW.records, 'failures', NEW.failures,
                            'first_record', (SELECT min(id) FROM records WHERE source_id = NEW.id),
                            'last_record', (SELECT max(id) FROM records WHERE source_id = NEW.id)));
        END;
        """,
    )


def _v7_plain_raw(db: sqlite3.Connection) -> None:
    """`raw` holds exactly the export's fields as plain JSON, readable by any SQLite client.

    Earlier imports stored a raw field equal to the record's title or abstract as the marker
    "\\x00=title" or "\\x00=abstract", and put one more NUL before a raw text that began with
    NUL. Those rows are rewritten here with the values themselves. A source's warnings, stored
    as text, become {file, line, kind, message} objects like the ones imports now write.
    """
    sources = db.execute("SELECT id, file_name, warnings FROM sources").fetchall()
    for source_id, file_name, warnings_json in sources:
        warnings = json.loads(warnings_json)
        if any(isinstance(warning, str) for warning in warnings):
            structured = [
                {"file": file_name, "line": 0, "kind": "text", "message": warning}
                if isinstance(warning, str)
                else warning
                for warning in warnings
            ]
            db.execute(
                "UPDATE sources SET warnings = ? WHERE id = ?",
                (json.dumps(structured, ensure_ascii=False), source_id),
            )
    packed = db.execute(
        "SELECT id, raw, title, abstract FROM records WHERE instr(raw, ?) > 0", ('"\\u0000',)
    ).fetchall()
    for record_id, raw_json, title, abstract in packed:
        columns = {"title": title, "abstract": abstract}
        raw = json.loads(raw_json)
        for key, value in raw.items():
            if isinstance(value, str) and value.startswith("\x00"):
                marker = value[2:] if value.startswith("\x00=") else ""
                raw[key] = columns[marker] if marker in columns else value[1:]
        db.execute(
            "UPDATE records SET raw = ? WHERE id = ?",
            (json.dumps(raw, ensure_ascii=False, separators=(",", ":")), record_id),
        )


def _v8_fulltext_files(db: sqlite3.Connection) -> None:
    """Full texts as files with their text: a record may have several (main text and
    supplement), each with its text per page, as extracted once when it was attached, and the
    entries of its reference list.

    `fulltexts` keeps only the reports not retrieved; the files it held move to
    `fulltext_files` (their text was never read: `text_layer` is NULL until they are attached
    again). `matched_by` says how `slr fulltext import` chose the record, or 'by hand'.
    """
    _script(
        db,
        """
        CREATE TABLE fulltext_files (
            id INTEGER PRIMARY KEY,
            record_id INTEGER NOT NULL REFERENCES records(id),
            path TEXT NOT NULL UNIQUE,
            original_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            pages INTEGER NOT NULL DEFAULT 0,
            chars INTEGER NOT NULL DEFAULT 0,
            text_layer INTEGER,
            matched_by TEXT NOT NULL DEFAULT 'by hand'
                CHECK (matched_by IN ('doi', 'title', 'file name', 'by hand')),
            warning TEXT NOT NULL DEFAULT '',
            attached_at TEXT NOT NULL
        );
        CREATE INDEX fulltext_files_record ON fulltext_files(record_id);
        CREATE TABLE fulltext_pages (
            file_id INTEGER NOT NULL REFERENCES fulltext_files(id) ON DELETE CASCADE,
            page INTEGER NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (file_id, page)
        );
        CREATE TABLE fulltext_references (
            file_id INTEGER NOT NULL REFERENCES fulltext_files(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (file_id, seq)
        );
        INSERT INTO fulltext_files (record_id, path, original_name, sha256, attached_at)
            SELECT record_id, path, original_name, sha256, updated_at FROM fulltexts
            WHERE path <> '';
        DELETE FROM fulltexts WHERE path <> '';
        """,
    )
    _log_triggers(db, LOGGED_FULLTEXT_FILES)


def _v9_screen_stops(db: sqlite3.Connection) -> None:
    """`slr screen stop`: the records nobody screened, excluded when the protocol's stopping
    rule was met, with the rule, its parameters and its figures (p value, recall bound, records
    screened). At most one stop per stage; `--undo` deletes both rows, so every table is as it
    was before, and the log (triggers) keeps both events."""
    _script(
        db,
        """
        CREATE TABLE screen_stops (
            id INTEGER PRIMARY KEY,
            stage TEXT NOT NULL UNIQUE CHECK (stage IN ('title_abstract', 'full_text')),
            rule TEXT NOT NULL,
            parameters TEXT NOT NULL DEFAULT '{}',
            statistics TEXT NOT NULL DEFAULT '{}',
            forced INTEGER NOT NULL DEFAULT 0,
            records INTEGER NOT NULL,
            stopped_at TEXT NOT NULL
        );
        CREATE TABLE stopped_records (
            stop_id INTEGER NOT NULL REFERENCES screen_stops(id),
            record_id INTEGER NOT NULL REFERENCES records(id),
            PRIMARY KEY (stop_id, record_id)
        );
        """,
    )
    _log_triggers(db, LOGGED_STOPS)


Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = [
    _v1_initial,
    _v2_dedup,
    _v3_screening,
    _v4_human_screening,
    _v5_tagging,
    _v6_records_logged_by_source,
    _v7_plain_raw,
    _v8_fulltext_files,
    _v9_screen_stops,
]
SCHEMA_VERSION = len(MIGRATIONS)


def check_version(db: ReviewConnection) -> int:
    """The schema version; refuse a database written by a newer slr."""
    version: int = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"this review was written by a newer slr (schema {version}; this slr knows up to "
            f"{SCHEMA_VERSION})",
            "upgrade slr (pip install -U slr) before opening this review",
        )
    return version


def migrate(db: ReviewConnection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date. Each step and its version bump commit together or not at
    all, so a crash or a failing step leaves the database at the version before it."""
    steps = MIGRATIONS if migrations is None else migrations
    version = check_version(db)
    if version >= len(steps):
        return version
    for number in range(version, len(steps)):
        with write(db):
            if db.execute("PRAGMA user_version").fetchone()[0] != number:
                continue  # another process did this step while we waited for the lock
            steps[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")
    return len(steps)
