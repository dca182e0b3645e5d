"""Shared fixtures: the real exports in ../shared (skipped cleanly when absent)."""

from __future__ import annotations

import csv
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
REAL_EXPORTS = REPO.parent / "shared" / "real-exports"
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
EXPORTS = REPO / "corpus" / "exports"


@pytest.fixture(autouse=True)
def no_slr_variables(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test sees none of the SLR_* variables of the shell that runs it (SLR_REVIEW would point
    every command at another review)."""
    for name in list(os.environ):
        if name.startswith("SLR_"):
            monkeypatch.delenv(name)
    yield


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def demo_screened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's main job, built once: the three database exports, Google Scholar as a
    website, deduplicated and screened by the protocol's rules. Copy it (`demo`) to change it."""
    from slr.dedup import deduplicate
    from slr.importing import ImportOptions, import_files
    from slr.protocol import load_protocol
    from slr.screening.run import screen_auto
    from slr.store import Review

    path = tmp_path_factory.mktemp("demo") / "review"
    with Review.create(path, PROTOCOL) as review:
        import_files(review, [EXPORTS / "scopus.csv", EXPORTS / "wos.txt", EXPORTS / "ebsco.ris"])
        scholar = ImportOptions(database="Google Scholar", method="website")
        import_files(review, [EXPORTS / "scholar.bib"], scholar)
        deduplicate(review)
        screen_auto(review, load_protocol(PROTOCOL))
    return path


@pytest.fixture
def demo(demo_screened: Path, tmp_path: Path) -> Path:
    """A fresh copy of the screened demo review for one test."""
    target = tmp_path / "review"
    shutil.copytree(demo_screened, target)
    return target


def manifest_rows() -> list[dict[str, str]]:
    manifest = REAL_EXPORTS / "MANIFEST.csv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def real_exports() -> Path:
    """The folder of genuine export files; the test is skipped when ../shared is absent."""
    if not (REAL_EXPORTS / "MANIFEST.csv").is_file():
        pytest.skip("../shared/real-exports is not present")
    return REAL_EXPORTS


# CI runs the same examples every time (a red build is then reproducible, never a dice roll);
# deadlines are off everywhere, since a loaded 2-core machine makes timings meaningless.
settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL to the `postgres` database of a throwaway server shared by the whole session
    (tests/postgres_server.py); the test is skipped, with the reason, where none can start."""
    from postgres_server import PostgresServer, ServerUnavailable

    server = PostgresServer()
    try:
        server.start()
    except ServerUnavailable as error:
        server.stop()
        pytest.skip(f"no PostgreSQL server: {error}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a test's new review goes, once per store engine: a directory, and a schema of its
    own in the session's PostgreSQL server (skipped, with the reason, where none can start)."""
    if request.param == "sqlite":
        return tmp_path / "review"
    url: str = request.getfixturevalue("postgres_url")
    return f"{url}#test_{uuid.uuid4().hex[:12]}"
