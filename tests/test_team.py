"""`slr team`: reviewers are database roles and blinding is the server's row-level security
(issue 20): connected as reviewer A with plain SQL, A sees B's decisions only once a lead has
opened the stage's conflicts, and can never change or delete them."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from conftest import EXPORTS, PROTOCOL

from slr.cli import main
from slr.importing import import_files
from slr.store import Review
from slr.store.postgres import ReviewUrl


def _as(url: str, user: str) -> str:
    """URL with another user (the test server trusts every local role)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}@{rest.split('@', 1)[1]}"


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_team_add_refuses_a_review_in_a_directory(tmp_path: Path, runner: CliRunner) -> None:
    Review.create(tmp_path / "review").close()
    result = runner.invoke(main, ["team", "add", "ana", "--review", str(tmp_path / "review")])
    assert result.exit_code == 1
    assert "needs a review in PostgreSQL" in result.output


def test_reviewers_screen_blind_until_a_lead_opens_conflicts(
    postgres_url: str, runner: CliRunner
) -> None:
    tag = uuid.uuid4().hex[:8]
    url = f"{postgres_url}#team_{tag}"
    with Review.create(url, PROTOCOL) as review:
        import_files(review, [EXPORTS / "scopus.csv"])
        first, second, third = (
            row[0]
            for row in review.db.execute("SELECT id FROM records ORDER BY id LIMIT 3").fetchall()
        )
    ana, ben = f"ana_{tag}", f"ben_{tag}"
    assert "created the login role" in _ok(runner, "team", "add", ana, "--review", url)
    _ok(runner, "team", "add", ben, "--review", url)
    lead = f"lea_{tag}"
    _ok(runner, "team", "add", lead, "--role", "lead", "--review", url)

    # each reviewer decides through the CLI, connected as themselves
    for who in (ana, ben):
        for record in (first, second):
            _ok(
                runner,
                "screen",
                "decide",
                str(record),
                "include",
                "--reviewer",
                who,
                "--review",
                _as(url, who),
            )
    # a reviewer cannot write a decision in another's name
    forged = runner.invoke(
        main,
        [
            "screen",
            "decide",
            str(third),
            "include",
            "--reviewer",
            ben,
            "--review",
            _as(url, ana),
        ],
    )
    assert forged.exit_code == 1 and "row-level security" in forged.output, forged.output

    schema = ReviewUrl.parse(url).schema
    conninfo = ReviewUrl.parse(_as(url, ana)).conninfo

    def bens_rows(sql: psycopg.Connection) -> list[tuple[object, ...]]:
        return sql.execute(
            f"SELECT record_id, decision FROM {schema}.decisions WHERE reviewer = %s "
            "ORDER BY record_id",
            (ben,),
        ).fetchall()

    def cannot_change(sql: psycopg.Connection) -> None:
        for statement in (
            f"UPDATE {schema}.decisions SET decision = 'exclude' WHERE reviewer = %s",
            f"DELETE FROM {schema}.decisions WHERE reviewer = %s",
            f"UPDATE {schema}.screen_notes SET note = 'x' WHERE reviewer = %s",
        ):
            assert sql.execute(statement, (ben,)).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sql.execute(f"SELECT detail FROM {schema}.log")
        sql.rollback()
        assert sql.execute(f"SELECT max(at) FROM {schema}.log").fetchone() is not None

    with psycopg.connect(conninfo) as sql:
        assert bens_rows(sql) == []
        mine = sql.execute(f"SELECT count(*) FROM {schema}.decisions").fetchone()
        assert mine == (2,)  # only ana's own
        cannot_change(sql)

    # a reviewer's other commands read what they may; the log's details are refused
    _ok(runner, "status", "--review", _as(url, ana))
    _ok(runner, "screen", "conflicts", "--review", _as(url, ana))
    log = runner.invoke(main, ["log", "--review", _as(url, ana)])
    assert log.exit_code == 1 and "permission denied" in log.output, log.output
    # a reviewer cannot open conflicts; a lead can
    refused = runner.invoke(main, ["team", "open-conflicts", "--review", _as(url, ana)])
    assert refused.exit_code == 1 and "Error: the database refused" in refused.output, (
        refused.output
    )
    _ok(runner, "team", "open-conflicts", "--review", _as(url, lead))

    with psycopg.connect(conninfo) as sql:
        assert bens_rows(sql) == [(first, "include"), (second, "include")]
        cannot_change(sql)
        assert bens_rows(sql) == [(first, "include"), (second, "include")]

    # the lead sees everything, and the reviewers' decisions were logged
    with psycopg.connect(ReviewUrl.parse(_as(url, lead)).conninfo) as sql:
        assert sql.execute(f"SELECT count(*) FROM {schema}.decisions").fetchone() == (4,)
        logged = sql.execute(
            f"SELECT count(*) FROM {schema}.log WHERE entity = 'decision'"
        ).fetchone()
        assert logged is not None and logged[0] >= 4
