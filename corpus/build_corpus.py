#!/usr/bin/env python3
"""Write the demo corpus exports from corpus/works.json.

The four files imitate the layout of genuine exports from Scopus (CSV), Web of Science (plain
text), EBSCOhost (RIS) and a Zotero/Google Scholar BibTeX file. Each work appears in the files
its `in` list names, rendered the way that database renders records, so the same work differs
between files (name forms, letter case, missing fields) much as real exports do.

Standard library only and deterministic: identifiers and citation counts are derived from
SHA-256 hashes of the work keys, so the same works.json always gives byte-identical files.

    python corpus/build_corpus.py [--works corpus/works.json] [--out corpus/exports]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
import textwrap
import unicodedata
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
DATABASES = ("scopus", "wos", "ebsco", "scholar")
FILE_NAMES = {
    "scopus": "scopus.csv",
    "wos": "wos.txt",
    "ebsco": "ebsco.ris",
    "scholar": "scholar.bib",
}
LANGUAGES = {"en": "English", "id": "Indonesian"}
EXPORT_YEAR = 2026  # the year the demo searches were "run"; only used to size citation counts

# ----------------------------------------------------------------------------- small helpers


def _hash(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _digits(count: int, *parts: object) -> str:
    return str(_hash(*parts) % 10**count).zfill(count)


def fold(text: str) -> str:
    """Drop diacritics (the way some databases store names and titles)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def view(work: dict, db: str) -> dict:
    """The work as database `db` holds it: works.json fields with that database's variants."""
    rec = dict(work)
    overrides = work.get("variants", {}).get(db, {})
    for field, value in overrides.items():
        if field != "fold_diacritics":
            rec[field] = value
    if overrides.get("fold_diacritics"):
        rec["title"] = fold(rec["title"])
        rec["authors"] = [{k: fold(v) for k, v in a.items()} for a in rec["authors"]]
    return rec


def page_parts(pages: str) -> tuple[str, str, str]:
    """(first page, last page, article number) from "12-34" or "e384"."""
    if "-" in pages:
        first, last = pages.split("-", 1)
        return first, last, ""
    return "", "", pages


def given_tokens(given: str) -> list[str]:
    given = re.sub(r"\([^)]*\)", " ", given)
    return [tok for tok in re.split(r"[\s.]+", given) if tok]


def scopus_initials(given: str) -> str:
    return "".join(
        "-".join(part[0].upper() + "." for part in tok.split("-") if part)
        for tok in given_tokens(given)
    )


def wos_initials(given: str) -> str:
    return "".join(
        part[0].upper() for tok in given_tokens(given) for part in tok.split("-") if part
    )


def scopus_name(author: dict) -> str:
    if not author["given"]:
        return author["family"]
    return f"{author['family']} {scopus_initials(author['given'])}"


def cited_count(work: dict, salt: str) -> int:
    age = max(EXPORT_YEAR - int(work["year"]), 0)
    return _hash(work["key"], salt) % (age * 12 + 3)


# ----------------------------------------------------------------------------- Scopus CSV

SCOPUS_COLUMNS = [
    "Authors", "Author full names", "Author(s) ID", "Title", "Year", "Source title", "Volume",
    "Issue", "Art. No.", "Page start", "Page end", "Page count", "Cited by", "DOI", "Link",
    "Abstract", "Author Keywords", "Index Keywords", "References", "Publisher", "ISSN",
    "Language of Original Document", "Document Type", "Publication Stage", "Open Access",
    "Source", "EID",
]  # fmt: skip
SCOPUS_DOCTYPES = {
    "article": "Article",
    "review": "Review",
    "conference paper": "Conference paper",
    "chapter": "Book chapter",
    "book": "Book",
}
SCOPUS_NOTICES = {
    "Elsevier": "© {year} Elsevier Ltd",
    "Emerald Publishing": "© {year}, Emerald Publishing Limited.",
    "Emerald Publishing Limited": "© {year}, Emerald Publishing Limited.",
    "Taylor and Francis": "© {year} Informa UK Limited, trading as Taylor & Francis Group.",
    "John Wiley and Sons": "© {year} John Wiley & Sons Ltd.",
    "MDPI": "© {year} by the authors.",
    "Springer": "© The Author(s), under exclusive licence to Springer Nature {year}.",
    "IEEE": "© {year} IEEE.",
    "SAGE": "© The Author(s) {year}.",
    "IOP Publishing": "© {year} The Author(s). Published by IOP Publishing Ltd.",
}
GOLD_OPEN_ACCESS = {
    "Heliyon", "SAGE Open", "Economies", "Information", "Behavioral Sciences",
    "Sustainability (Switzerland)", "Journal of Innovation and Entrepreneurship",
    "Cogent Business and Management", "Journal of Theoretical and Applied Electronic "
    "Commerce Research", "Journal of Marine Science and Engineering",
    "Journal of Open Innovation: Technology, Market, and Complexity",
}  # fmt: skip


def scopus_author_id(author: dict) -> str:
    return "57" + _digits(9, "author", fold(author["family"]).lower(), author["given"])


def scopus_eid(work: dict) -> str:
    year = int(work["year"])
    if year < 2005:
        return "2-s2.0-0" + _digits(9, work["key"], "eid")
    if year < 2015:
        return "2-s2.0-84" + _digits(9, work["key"], "eid")
    return "2-s2.0-85" + _digits(9, work["key"], "eid")


def scopus_reference(work: dict) -> str:
    """One entry of the Scopus References column, built from the seed's citation."""
    parts = []
    if work["authors"]:
        parts.append(", ".join(scopus_name(a) for a in work["authors"]))
    parts.append(work["title"])
    for field in ("source", "volume", "issue"):
        if work[field]:
            parts.append(work[field])
    first, last, _ = page_parts(work["pages"])
    if first:
        parts.append(f"pp. {first}-{last}")
    parts.append(f"({work['year']})")
    return ", ".join(parts)


def scopus_row(work: dict, rec: dict, by_key: dict[str, dict]) -> list[str]:
    first, last, art_no = page_parts(rec["pages"])
    count = ""
    if first.isdigit() and last.isdigit():
        count = str(int(last) - int(first))  # Scopus gives last - first
    eid = scopus_eid(rec)
    md5 = hashlib.md5(rec["key"].encode("utf-8")).hexdigest()
    link = f"https://www.scopus.com/inward/record.uri?eid={eid}"
    if rec["doi"]:
        link += "&doi=" + re.sub(
            r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(rec["doi"], safe="")
        )
    link += f"&partnerID=40&md5={md5}"
    abstract = rec["abstract"] or "[No abstract available]"
    notice = SCOPUS_NOTICES.get(rec["publisher"])
    if rec["abstract"] and notice:
        abstract += " " + notice.format(year=rec["year"])
    in_press = not rec["volume"] and rec["type"] in ("article", "review")
    return [
        "; ".join(scopus_name(a) for a in rec["authors"]),
        "; ".join(
            f"{a['family']}, {a['given']} ({scopus_author_id(a)})"
            if a["given"]
            else f"{a['family']} ({scopus_author_id(a)})"
            for a in rec["authors"]
        ),
        "; ".join(scopus_author_id(a) for a in rec["authors"]),
        rec["title"],
        str(rec["year"]),
        rec["source"],
        rec["volume"],
        rec["issue"],
        art_no,
        first,
        last,
        count,
        str(cited_count(rec, "scopus")),
        rec["doi"],
        link,
        abstract,
        "; ".join(rec["author_keywords"]),
        "",
        "; ".join(scopus_reference(by_key[k]) for k in rec["cites"]),
        rec["publisher"],
        "",
        LANGUAGES[rec["language"]],
        SCOPUS_DOCTYPES[rec["type"]],
        "Article in press" if in_press else "Final",
        "All Open Access; Gold Open Access" if rec["source"] in GOLD_OPEN_ACCESS else "",
        "Scopus",
        eid,
    ]


def write_scopus(works: list[dict], by_key: dict[str, dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(SCOPUS_COLUMNS)
    for work in works:
        writer.writerow(scopus_row(work, view(work, "scopus"), by_key))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ----------------------------------------------------------------------------- WoS plain text

WOS_DOCTYPES = {"article": "Article", "review": "Review", "conference paper": "Proceedings Paper"}
WOS_ABBREVIATIONS = {
    "ACADEMY": "ACAD", "ADVERTISING": "ADVERT", "APPLICATIONS": "APPL", "APPLIED": "APPL",
    "ARTIFICIAL": "ARTIF", "BEHAVIORAL": "BEHAV", "BUSINESS": "BUS", "COMMERCE": "COMMER",
    "COMMUNICATION": "COMMUN", "COMPUTER": "COMPUT", "CONSUMER": "CONSUM",
    "DEVELOPMENT": "DEV", "ECONOMIC": "ECON", "ECONOMICS": "ECON", "ELECTRONIC": "ELECT",
    "EMERGING": "EMERG", "ENGINEERING": "ENG", "ENTERPRISE": "ENTERP",
    "ENTREPRENEURSHIP": "ENTREP", "ENVIRONMENT": "ENVIRON", "EUROPEAN": "EUR",
    "FINANCIAL": "FINANC", "INDUSTRIES": "IND", "INFORMATION": "INF", "INNOVATION": "INNOV",
    "INTELLIGENCE": "INTELL", "INTERACTIVE": "INTERACT", "INTERNATIONAL": "INT",
    "JOURNAL": "J", "MANAGEMENT": "MANAGE", "MARINE": "MAR", "MARKET": "MARK",
    "MARKETING": "MARKET", "MARKETS": "MARK", "PRODUCTION": "PROD", "PSYCHOLOGY": "PSYCHOL",
    "QUALITATIVE": "QUAL", "QUARTERLY": "Q", "RESEARCH": "RES", "RETAILING": "RETAIL",
    "REVIEW": "REV", "SCIENCE": "SCI", "SCIENCES": "SCI", "SERVICE": "SERV",
    "SERVICES": "SERV", "SMALL": "SMALL", "SOCIAL": "SOC", "STRATEGIC": "STRATEG",
    "SUPPORT": "SUPPORT", "SYSTEMS": "SYST", "TECHNOLOGY": "TECHNOL", "THEORETICAL": "THEOR",
    "VENTURING": "VENTURING",
}  # fmt: skip
WOS_STOPWORDS = {"A", "AN", "AND", "DAN", "FOR", "IN", "OF", "ON", "THE", "TO"}


def wos_abbreviation(title: str) -> str:
    """A J9-like 20-character abbreviation, as WoS prints sources in cited references."""
    words = re.sub(r"[^A-Z0-9 ]+", " ", fold(title).upper()).split()
    short = " ".join(WOS_ABBREVIATIONS.get(w, w) for w in words if w not in WOS_STOPWORDS)
    return short[:20].rstrip()


def wos_au(author: dict) -> str:
    family = fold(author["family"])
    return f"{family}, {wos_initials(author['given'])}" if author["given"] else family


def wos_af(author: dict) -> str:
    return f"{author['family']}, {author['given']}" if author["given"] else author["family"]


def wos_cited_reference(work: dict) -> str:
    first_author = work["authors"][0]
    name = fold(first_author["family"]).replace(",", "")
    if first_author["given"]:
        name += " " + wos_initials(first_author["given"])
    parts = [name, str(work["year"]), wos_abbreviation(work["source"] or work["title"])]
    first, _, _ = page_parts(work["pages"])
    if work["volume"]:
        parts.append("V" + work["volume"])
    if first:
        parts.append("P" + first)
    if work["doi"]:
        parts.append("DOI " + work["doi"])
    return ", ".join(parts)


def wos_wrapped(tag: str, text: str) -> list[str]:
    lines = textwrap.wrap(text, width=72, break_long_words=False, break_on_hyphens=False)
    return [f"{tag} {lines[0]}"] + ["   " + line for line in lines[1:]]


def wos_multi(tag: str, values: list[str]) -> list[str]:
    return [f"{tag} {values[0]}"] + ["   " + value for value in values[1:]]


def wos_record(rec: dict, by_key: dict[str, dict]) -> list[str]:
    lines = ["PT S" if rec["type"] == "conference paper" else "PT J"]
    lines += wos_multi("AU", [wos_au(a) for a in rec["authors"]])
    lines += wos_multi("AF", [wos_af(a) for a in rec["authors"]])
    lines += wos_wrapped("TI", rec["title"])
    if rec["source"]:
        lines += wos_wrapped("SO", fold(rec["source"]).upper())
    lines.append("LA " + LANGUAGES[rec["language"]])
    lines.append("DT " + WOS_DOCTYPES[rec["type"]])
    keywords = rec["author_keywords"]
    if keywords:
        lines += wos_wrapped("DE", "; ".join(keywords))
        if _hash(rec["key"], "keywords-plus") % 3:
            plus = [fold(k).upper() for k in reversed(keywords)][:4]
            lines += wos_wrapped("ID", "; ".join(plus))
    if rec["abstract"]:
        lines.append("AB " + rec["abstract"])
    cited = [wos_cited_reference(by_key[k]) for k in rec["cites"]]
    if cited:
        lines += wos_multi("CR", cited)
    tc = cited_count(rec, "scopus") * 4 // 5
    lines.append(f"NR {len(cited)}")
    lines.append(f"TC {tc}")
    lines.append(f"Z9 {tc + _hash(rec['key'], 'z9') % 3}")
    if rec["publisher"]:
        lines.append("PU " + fold(rec["publisher"]).upper())
    lines.append(f"PY {rec['year']}")
    first, last, art_no = page_parts(rec["pages"])
    for tag, value in (
        ("VL", rec["volume"]),
        ("IS", rec["issue"]),
        ("BP", first),
        ("EP", last),
        ("AR", art_no),
        ("DI", rec["doi"]),
    ):
        if value:
            lines.append(f"{tag} {value}")
    if first.isdigit() and last.isdigit():
        lines.append(f"PG {int(last) - int(first) + 1}")
    series = "001" if int(rec["year"]) >= 2023 else "000"
    lines.append(f"UT WOS:{series}{_digits(12, rec['key'], 'wos')}")
    lines.append("ER")
    return lines


def write_wos(works: list[dict], by_key: dict[str, dict]) -> bytes:
    lines = ["\ufeffFN Clarivate Analytics Web of Science", "VR 1.0"]
    for work in works:
        lines += wos_record(view(work, "wos"), by_key)
        lines.append("")
    lines.append("EF")
    return "\n".join(lines).encode("utf-8")  # like recent WoS files: no newline after EF


# ----------------------------------------------------------------------------- EBSCOhost RIS


def ebsco_subject_term(keyword: str) -> str:
    head, _, tail = keyword.partition(" ")
    return f"{head.upper()} {tail}" if tail else head.upper()


def ebsco_record(rec: dict) -> list[str]:
    accession = "1" + _digits(8, rec["key"], "ebsco")
    database = "a9h" if _hash(rec["key"], "ebsco-db") % 4 == 0 else "bth"
    title = rec["title"] if rec["title"][-1:] in ".?!" else rec["title"] + "."
    first, last, art_no = page_parts(rec["pages"])
    lines = ["TY  - JOUR"]
    lines += [f"AU  - {wos_af(a)}" for a in rec["authors"]]
    lines.append(f"T1  - {title}")
    lines.append(f"JO  - {rec['source']}")
    lines.append(f"JF  - {rec['source']}")
    lines.append(f"Y1  - {rec['year']}///")
    for tag, value in (("VL", rec["volume"]), ("IS", rec["issue"])):
        if value:
            lines.append(f"{tag}  - {value}")
    lines.append("M3  - Article")
    if first or art_no:
        lines.append(f"SP  - {first or art_no}")
    if last:
        lines.append(f"EP  - {last}")
    owner = rec["publisher"] or rec["source"]
    if rec["publisher"]:
        lines.append(f"PB  - {rec['publisher']}")
    if rec["abstract"]:
        lines.append(f"AB  - {rec['abstract']}")
        lines.append(
            f"AB  - Copyright of {rec['source']} is the property of {owner} and its content "
            "may not be copied or emailed to multiple sites or posted to a listserv without "
            "the copyright holder's express written permission. However, users may print, "
            "download, or email articles for individual use."
        )
    terms = [ebsco_subject_term(k) for k in rec["author_keywords"][:3]]
    terms = [t for t in terms if t not in rec["author_keywords"]]
    lines += [f"KW  - {kw}" for kw in terms + rec["author_keywords"]]
    source_info = f"{rec['year']}"
    if rec["volume"]:
        source_info += f", Vol. {rec['volume']}"
    if rec["issue"]:
        source_info += f" Issue {rec['issue']}"
    if first or art_no:
        source_info += f", p{first or art_no}"
    lines.append(
        f"N1  - Accession Number: {accession}; Source Info: {source_info}; Document Type: Article"
    )
    if rec["doi"]:
        lines.append(f"L3  - {rec['doi']}")
    lines.append(
        "UR  - https://search.ebscohost.com/login.aspx?direct=true"
        f"&db={database}&AN={accession}&site=ehost-live&scope=site"
    )
    lines.append("DP  - EBSCOhost")
    lines.append(f"DB  - {database}")
    lines.append("ER  - ")
    return lines


def write_ebsco(works: list[dict], by_key: dict[str, dict]) -> bytes:
    records = ["\r\n".join(ebsco_record(view(work, "ebsco"))) for work in works]
    return ("\r\n\r\n".join(records) + "\r\n").encode("utf-8")


# ----------------------------------------------------------------------------- Zotero BibTeX

BIB_TYPES = {
    "article": "article",
    "review": "article",
    "conference paper": "inproceedings",
    "book": "book",
    "chapter": "incollection",
    "report": "techreport",
    "thesis": "phdthesis",
    "preprint": "misc",
}
KEY_STOPWORDS = {
    "a", "an", "the", "some", "from", "on", "in", "to", "of", "do", "with", "der", "die",
    "das", "ein", "eine", "un", "une", "la", "le", "les", "el", "las", "los", "al", "uno",
    "una", "de", "des", "del",
}  # fmt: skip


def bib_escape(text: str) -> str:
    return re.sub(r"([&%$#_])", r"\\\1", text)


def bib_title(title: str) -> str:
    """Zotero protects capitalised words (except a plain first word) with braces."""

    def protect(match: re.Match[str]) -> str:
        word = match.group(0)
        if not any(ch.isupper() for ch in word):
            return word
        if match.start() == 0 and not any(ch.isupper() for ch in word[1:]):
            return word
        return "{" + word + "}"

    return re.sub(r"[^\W\d_]+", protect, bib_escape(title))


def bib_author(author: dict) -> str:
    if not author["given"]:
        return "{" + author["family"] + "}"
    return f"{author['family']}, {author['given']}"


def zotero_key(rec: dict, used: set[str]) -> str:
    family = rec["authors"][0]["family"] if rec["authors"] else "noauthor"
    words = [w for w in re.split(r"\s+", rec["title"].lower()) if w not in KEY_STOPWORDS]
    base = f"{family.lower().replace(' ', '_').replace(',', '')}_{words[0]}_{rec['year']}"
    base = re.sub(r"[^a-z0-9!$&*+\-./:;<>?\[\]^_`|]+", "", fold(base))
    key, number = base, 0
    while key in used:
        number += 1
        key = f"{base}-{number}"
    used.add(key)
    return key


def bib_entry(rec: dict, key: str) -> str:
    kind = BIB_TYPES[rec["type"]]
    first, last, art_no = page_parts(rec["pages"])
    pages = f"{first}--{last}" if first else art_no
    keep_abstract = rec["abstract"] and (
        not {"scopus", "wos"} & set(rec["in"]) or _hash(rec["key"], "scholar-abstract") % 2
    )
    fields: list[tuple[str, str]] = []
    if kind == "book":
        fields += [("address", rec.get("address", "")), ("edition", rec.get("edition", ""))]
    fields.append(("title", bib_title(rec["title"])))
    if kind in ("article", "inproceedings"):
        fields.append(("volume", rec["volume"]))
    fields.append(("doi", rec["doi"]))
    fields.append(("abstract", bib_escape(rec["abstract"]) if keep_abstract else ""))
    fields.append(("language", rec["language"]))
    if kind == "article":
        fields += [("number", rec["issue"]), ("journal", bib_escape(rec["source"]))]
    elif kind in ("inproceedings", "incollection"):
        fields.append(("booktitle", bib_title(rec["source"])))
    if kind in ("book", "incollection", "misc"):
        fields.append(("publisher", bib_escape(rec["publisher"])))
    if kind == "techreport":
        fields.append(("institution", bib_escape(rec["publisher"])))
    fields.append(("author", " and ".join(bib_author(a) for a in rec["authors"])))
    fields.append(("year", str(rec["year"])))
    if kind == "phdthesis":
        fields.append(("note", bib_escape(rec["source"])))
    fields.append(("keywords", bib_escape(", ".join(rec["author_keywords"]))))
    fields.append(("pages", pages))
    body = "".join(f"\t{name} = {{{value}}},\n" for name, value in fields if value)
    return f"@{kind}{{{key},\n{body}}}\n"


def write_scholar(works: list[dict], by_key: dict[str, dict]) -> bytes:
    used: set[str] = set()
    entries = []
    for work in works:
        rec = view(work, "scholar")
        entries.append(bib_entry(rec, zotero_key(rec, used)))
    return "\n".join(entries).encode("utf-8")


# ----------------------------------------------------------------------------- driver

WRITERS = {
    "scopus": write_scopus,
    "wos": write_wos,
    "ebsco": write_ebsco,
    "scholar": write_scholar,
}


def load_works(path: Path) -> list[dict]:
    works = json.loads(path.read_text(encoding="utf-8"))
    keys = [w["key"] for w in works]
    if len(set(keys)) != len(keys):
        raise SystemExit(f"{path}: duplicate keys")
    known = set(keys)
    for work in works:
        missing = [k for k in work["cites"] if k not in known]
        if missing:
            raise SystemExit(f"{path}: {work['key']} cites unknown keys {missing}")
        unknown = set(work["in"]) - set(DATABASES)
        if unknown:
            raise SystemExit(f"{path}: {work['key']} names unknown databases {unknown}")
    return works


def build(works: list[dict], out_dir: Path) -> dict[str, int]:
    """Write the four exports into `out_dir`; return the number of records per file."""
    by_key = {w["key"]: w for w in works}
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for db in DATABASES:
        selected = [w for w in works if db in w["in"]]
        (out_dir / FILE_NAMES[db]).write_bytes(WRITERS[db](selected, by_key))
        counts[FILE_NAMES[db]] = len(selected)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--works",
        type=Path,
        default=HERE / "works.json",
        help="the master list (default: corpus/works.json)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "exports",
        help="folder to write the exports into (default: corpus/exports)",
    )
    args = parser.parse_args(argv)
    works = load_works(args.works)
    counts = build(works, args.out)
    for name, count in counts.items():
        print(f"{name}: {count} records")
    print(f"{sum(counts.values())} records, {len(works)} unique works")
    return 0


if __name__ == "__main__":
    sys.exit(main())
