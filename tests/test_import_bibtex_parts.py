"""A large .bib is parsed in parts: the parts must give exactly what one pass gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from slr.importers import bibtex
from slr.importers.encoding import decode


def summary(text: str) -> tuple[object, ...]:
    result = bibtex.parse(text)
    return (
        [
            (r.line, r.title, r.doi, [a.display for a in r.authors], r.source_title, r.raw)
            for r in result.records
        ],
        result.failures,
        result.warnings,
        result.flavour,
    )


ENTRIES = "@string{jm = {Journal of Marketing}}\n\n" + "".join(
    f"@article{{key{n % 40},\n  title = {{Study {n}}},\n  journal = jm,\n  year = 2020\n}}\n\n"
    + ("@article{broken,\n  title = {Unbalanced {brace},\n  year = 2020\n}\n\n" if n == 70 else "")
    for n in range(120)
)


def test_parts_give_what_one_pass_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = summary(ENTRIES)
    monkeypatch.setattr(bibtex, "_PART_CHARS", 300)
    assert len(list(bibtex._parts(ENTRIES))) > 10
    assert summary(ENTRIES) == whole
    records = bibtex.parse(ENTRIES).records
    assert records[-1].source_title == "Journal of Marketing"  # macro from the first part
    assert records[-1].line == ENTRIES.count("\n", 0, ENTRIES.rindex("@article")) + 1


@pytest.mark.parametrize("name", ["wos-bibtex/savedrecs.bib", "zotero/zotero_export.bib"])
def test_real_file_in_parts(name: str, real_exports: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = decode((real_exports / name).read_bytes(), name).text
    whole = summary(text)
    monkeypatch.setattr(bibtex, "_PART_CHARS", 200_000)
    assert len(list(bibtex._parts(text))) > 5
    assert summary(text) == whole
