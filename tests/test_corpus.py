"""The demo corpus: works.json is consistent and build_corpus.py reproduces the exports."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
EXPORTS = CORPUS / "exports"
FILES = {
    "scopus": "scopus.csv",
    "wos": "wos.txt",
    "ebsco": "ebsco.ris",
    "scholar": "scholar.bib",
}


@pytest.fixture(scope="module")
def works() -> list[dict]:
    return json.loads((CORPUS / "works.json").read_text(encoding="utf-8"))


def count_records(db: str, data: bytes) -> int:
    """Count records the simple way each format allows, independent of any importer."""
    if db == "scopus":
        text = data.decode("utf-8-sig")
        return len(list(csv.DictReader(io.StringIO(text, newline=""))))
    text = data.decode("utf-8-sig")
    pattern = {"wos": r"^PT ", "ebsco": r"^TY  -", "scholar": r"^@\w+\{"}[db]
    return len(re.findall(pattern, text, flags=re.MULTILINE))


def test_build_reproduces_committed_exports(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(CORPUS / "build_corpus.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "unique works" in result.stdout
    for name in FILES.values():
        built = (tmp_path / name).read_bytes()
        committed = (EXPORTS / name).read_bytes()
        assert built == committed, f"{name} differs from a fresh build"


def test_keys_are_unique(works: list[dict]) -> None:
    keys = [w["key"] for w in works]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"w\d{3}", k) for k in keys)


def test_every_cited_key_exists_and_only_seeds_cite(works: list[dict]) -> None:
    keys = {w["key"] for w in works}
    for work in works:
        assert set(work["cites"]) <= keys, work["key"]
        if work["cites"]:
            assert work["seed"], f"{work['key']} is not a seed paper but has cites"
    seeds = [w for w in works if w["seed"]]
    assert len(seeds) == 3
    assert all(w["cites"] for w in seeds)


def test_each_work_is_in_a_known_database(works: list[dict]) -> None:
    for work in works:
        assert work["in"], work["key"]
        assert set(work["in"]) <= set(FILES), work["key"]
        assert set(work["variants"]) <= set(work["in"]), work["key"]


@pytest.mark.parametrize("db", sorted(FILES))
def test_record_counts_match_works_json(works: list[dict], db: str) -> None:
    expected = sum(1 for w in works if db in w["in"])
    data = (EXPORTS / FILES[db]).read_bytes()
    assert count_records(db, data) == expected
    assert len(data) < 1_000_000


def test_dois_are_unique(works: list[dict]) -> None:
    dois = [w["doi"].lower() for w in works if w["doi"]]
    assert len(dois) == len(set(dois))


@pytest.mark.parametrize(
    "pattern",
    [
        r"cross-border e-commerce",
        r"influencer",
        r"user-generated content|\bUGC\b",
        r"jastip|daigou|personal shopper",
    ],
)
def test_each_driver_term_occurs_in_at_least_three_works(works: list[dict], pattern: str) -> None:
    hits = [
        w["key"]
        for w in works
        if re.search(pattern, w["title"] + " " + w["abstract"], flags=re.IGNORECASE)
    ]
    assert len(hits) >= 3, hits
