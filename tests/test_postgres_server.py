"""The throwaway PostgreSQL server the backend tests share (tests/postgres_server.py)."""

from __future__ import annotations

import postgres_server
import psycopg
import pytest


def test_the_server_answers_on_its_socket(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute("SELECT current_setting('listen_addresses'), 1 + 1").fetchone()
    assert row == ("", 2)


def test_without_postgresql_the_server_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_server.shutil, "which", lambda _name: None)
    monkeypatch.setattr(postgres_server.glob, "glob", lambda _pattern: [])
    server = postgres_server.PostgresServer()
    with pytest.raises(postgres_server.ServerUnavailable) as refused:
        server.start()
    server.stop()
    assert str(refused.value) == "PostgreSQL is not installed (no initdb or pg_ctl)"
    assert not server.directory.exists()
