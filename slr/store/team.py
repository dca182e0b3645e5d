"""A review's team in PostgreSQL: reviewers and leads are database roles, and blinding is the
server's row-level security, so it holds even for someone who connects with `psql`.

`add_member` creates (or reuses) a login role and grants it what its part needs:

- a *reviewer* reads the records and everything else but the log's details, and writes only its own
  decisions and notes (the `reviewer` column must be its role name, `current_user`); it sees
  another reviewer's decisions and notes at a stage only once a lead has opened that stage's
  conflicts (`open_conflicts`; the stages opened are in the `team_opened` table);
- a *lead* reads and writes everything.

The team's own tables (`team`, `team_opened`), the policies and the grants are made by the
first `add_member`, run by the review's owner (who needs the CREATEROLE privilege). No password
is set here: how a role authenticates (pg_hba.conf, `~/.pgpass`, `PGPASSWORD`) is the server's
business. A review in a directory (SQLite) has no team.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from slr.errors import SlrError

ROLES = ("reviewer", "lead")
_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# the tables a reviewer writes, each with its `reviewer` column
_BLINDED = ("decisions", "screen_notes")


def _postgres_only(db: Any) -> None:
    if db.engine != "postgresql":
        raise SlrError(
            "a team needs a review in PostgreSQL; a review in a directory has one reviewer "
            "per machine",
            "copy the review to a database (slr init --store postgresql://...) to work as a team",
        )


def _name(name: str) -> str:
    if not _ROLE_NAME.fullmatch(name):
        raise SlrError(
            f"{name!r} cannot name a database role",
            "use letters, digits and _ (at most 63), starting with a letter or _",
        )
    return name


def _set_up(db: Any, schema: str) -> None:
    """The team's tables, the row-level security of decisions and notes, and the log triggers
    of those tables run as their owner (a reviewer cannot write the log, yet its decisions are
    logged). Idempotent."""
    s = f'"{schema}"'
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {s}.team (name TEXT PRIMARY KEY, "
        "role TEXT NOT NULL CHECK (role IN ('reviewer', 'lead')), added_at TEXT NOT NULL)"
    )
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {s}.team_opened (stage TEXT PRIMARY KEY, "
        "opened_by TEXT NOT NULL, opened_at TEXT NOT NULL)"
    )
    lead = f"EXISTS (SELECT 1 FROM {s}.team WHERE name = current_user AND role = 'lead')"
    owner = f"(SELECT nspowner FROM pg_namespace WHERE nspname = '{schema}')"
    mine = f"(reviewer = current_user OR {lead} OR pg_has_role({owner}, 'MEMBER'))"
    for table in _BLINDED:
        db.execute(
            f"ALTER FUNCTION {s}.{table}_logged() SECURITY DEFINER "
            "SET search_path = pg_catalog, pg_temp"
        )
        db.execute(f"ALTER TABLE {s}.{table} ENABLE ROW LEVEL SECURITY")
        db.execute(f"DROP POLICY IF EXISTS own ON {s}.{table}")
        db.execute(f"DROP POLICY IF EXISTS opened ON {s}.{table}")
        db.execute(f"CREATE POLICY own ON {s}.{table} FOR ALL USING {mine} WITH CHECK {mine}")
        db.execute(
            f"CREATE POLICY opened ON {s}.{table} FOR SELECT USING (reviewer LIKE 'auto:%' "
            f"OR stage IN (SELECT stage FROM {s}.team_opened))"
        )


def add_member(db: Any, name: str, role: str = "reviewer") -> bool:
    """Give NAME (a login role, created when the server has none) its ROLE in the review, in
    the caller's write transaction. Returns whether the role was created."""
    _postgres_only(db)
    if role not in ROLES:
        raise SlrError(f"unknown team role {role!r}", f"use one of: {', '.join(ROLES)}")
    name = _name(name)
    schema = db.url.schema
    s = f'"{schema}"'
    who = f'"{name}"'
    _set_up(db, schema)
    created = db.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (name,)).fetchone() is None
    if created:
        db.execute(f"CREATE ROLE {who} LOGIN")
    db.execute(
        f"INSERT INTO {s}.team (name, role, added_at) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET role = excluded.role",
        (name, role, datetime.now(UTC).isoformat(timespec="seconds")),
    )
    db.execute(f"GRANT USAGE ON SCHEMA {s} TO {who}")
    db.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {who}")
    if role == "lead":
        db.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA {s} TO {who}")
        db.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA {s} TO {who}")
    else:
        db.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {who}")
        # the log's details tell every decision: a reviewer reads only when things changed
        db.execute(f"REVOKE SELECT ON {s}.log FROM {who}")
        db.execute(f"GRANT SELECT (id, at, action, entity, entity_id) ON {s}.log TO {who}")
        for table in _BLINDED:
            db.execute(f"GRANT INSERT, UPDATE, DELETE ON {s}.{table} TO {who}")
        db.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {who}")
    return created


def open_conflicts(db: Any, stage: str) -> bool:
    """Let every reviewer see the others' decisions and notes at STAGE (a lead's act, before
    conflicts are resolved), in the caller's write transaction. Returns whether it was closed."""
    _postgres_only(db)
    s = f'"{db.url.schema}"'
    if not db.has_table("team_opened"):
        raise SlrError("the review has no team yet", "add one with `slr team add NAME`")
    row = db.execute(
        f"INSERT INTO {s}.team_opened (stage, opened_by, opened_at) VALUES (?, current_user, ?) "
        "ON CONFLICT (stage) DO NOTHING RETURNING stage",
        (stage, datetime.now(UTC).isoformat(timespec="seconds")),
    ).fetchone()
    return row is not None


def members(db: Any) -> list[tuple[str, str]]:
    """The team: (name, role) by name; none on a review without one."""
    _postgres_only(db)
    if not db.has_table("team"):
        return []
    rows = db.execute(f'SELECT name, role FROM "{db.url.schema}".team ORDER BY name')
    return [(row[0], row[1]) for row in rows.fetchall()]
