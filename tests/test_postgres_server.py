"""The throwaway PostgreSQL server the backend tests share (tests/postgres_server.py)."""

from __future__ import annotations

import psycopg


def test_the_server_answers_on_its_socket(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute("SELECT current_setting('listen_addresses'), 1 + 1").fetchone()
    assert row == ("", 2)
