"""Every genuine export in ../shared/real-exports imports to its manifest count, with no failure."""

from __future__ import annotations

import pytest
from conftest import REAL_EXPORTS, manifest_rows

from slr.importers import read_file

# MANIFEST format -> (slr format, flavour the content must reveal)
EXPECTED = {
    "scopus-csv": ("scopus-csv", "scopus"),
    "scopus-bibtex": ("bibtex", "scopus"),
    "scopus-ris": ("ris", "scopus"),
    "wos-plaintext": ("wos-plaintext", "wos"),
    "wos-tab-delimited": ("wos-tab", "wos"),
    "wos-bibtex": ("bibtex", "wos"),
    "wos-ris": ("ris", "wos"),
    "pubmed-medline": ("pubmed-medline", "pubmed"),
    "pubmed-csv": ("pubmed-csv", "pubmed"),
    "embase-ris": ("ris", "embase"),
    "ovid-ris": ("ris", "ovid"),
    "ebsco-ris": ("ris", "ebsco"),
    "ieee-csv": ("ieee-csv", "ieee"),
    "acm-bibtex": ("bibtex", "acm"),
    "lens-csv": ("lens-csv", "lens"),
    "dimensions-csv": ("dimensions-csv", "dimensions"),
    "openalex-json": ("openalex-json", "openalex"),
    "crossref-json": ("crossref-json", "crossref"),
    "endnote-xml": ("endnote-xml", "endnote"),
    "zotero-bibtex": ("bibtex", "zotero"),
    "zotero-ris": ("ris", "zotero"),
    "publish-or-perish-csv": ("pop-csv", "pop"),
    "proquest-ris": ("ris", "proquest"),
}

ROWS = manifest_rows()


@pytest.mark.parametrize("row", ROWS or [None], ids=[r["path"] for r in ROWS] or ["absent"])
def test_real_export_imports_completely(row: dict[str, str] | None) -> None:
    if row is None:
        pytest.skip("../shared/real-exports is not present")
    imported = read_file(REAL_EXPORTS / row["path"])
    result = imported.result
    assert [f.describe(row["path"]) for f in result.failures] == []
    assert len(result.records) == int(row["records"])
    assert (imported.format.name, result.flavour) == EXPECTED[row["format"]]
    assert all(r.title or r.doi for r in result.records)
    with_abstract = sum(1 for r in result.records if r.abstract)
    if row["has_abstracts"] == "yes":
        assert with_abstract > 0
    if row["has_cited_references"] == "yes":
        assert any(r.cited_references for r in result.records)


def test_manifest_covers_every_format() -> None:
    if not ROWS:
        pytest.skip("../shared/real-exports is not present")
    assert {row["format"] for row in ROWS} <= set(EXPECTED)
