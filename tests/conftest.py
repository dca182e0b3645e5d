"""Shared fixtures: the real exports in ../shared (skipped cleanly when absent)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
REAL_EXPORTS = REPO.parent / "shared" / "real-exports"


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
