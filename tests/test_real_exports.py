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


# Files whose text holds UTF-8 that was encoded twice (checked by eye: "Ã–rÃ¼cÃ¼" for "Örücü",
# "FundaÃ§Ã£o" for "Fundação", "â€“" for "–"); every other real export is left as it is.
DOUBLE_ENCODED = {
    "ebsco-ris/ERIC_ebsco_1232020_crl_assessment.txt": 21,
    "scopus-bibtex/scopus.bib": 6,
    "scopus-csv/scopus_testing.csv.scopus": 1,
    "lens-csv/lens-export.csv": 1,
}


def test_double_encoding_is_repaired_only_where_present() -> None:
    if not ROWS:
        pytest.skip("../shared/real-exports is not present")
    repaired = {}
    for row in ROWS:
        warnings = read_file(REAL_EXPORTS / row["path"]).result.warnings
        for warning in warnings:
            assert warning.file == row["path"].split("/")[-1]
            if warning.kind == "encoding" and "double-encoded" in warning.message:
                repaired[row["path"]] = warning.message
        assert not any("Windows-1252" in w.message for w in warnings)
    assert repaired == {
        path: f"repaired double-encoded UTF-8 on {lines} line(s)"
        for path, lines in DOUBLE_ENCODED.items()
    }
