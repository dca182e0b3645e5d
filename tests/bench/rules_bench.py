"""Benchmark: 100,000 records x 30 rules through the rule engine (target: under 10 s).

Run: python tests/bench/rules_bench.py [RECORDS]

Records are the demo corpus's 124 works (titles, abstracts written for the project, keywords,
years, types), repeated with a varying year and a distinct word so no two are equal. The 30 rules
are the 002 protocol's 7 and 23 more of every kind the language has: OR lists, phrases,
wildcards, field scopes, NEAR/PRE, Scopus/WoS/PubMed forms, year/type/lang/has, vocabularies.
Times reported: building the records' folded text, then applying the rules (first match per
stage, with the matched spans of the deciding rule), and the two together.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from slr.models import Record
from slr.protocol import load_protocol
from slr.protocol.query import parse_query
from slr.screening import Rule
from slr.screening.engine import CompiledRule, Matcher, decide, protocol_rules
from slr.screening.text import RecordText
from slr.tagging.vocab import Tagger

REPO = Path(__file__).resolve().parents[2]

EXTRA_RULES = [
    ("e1", "exclude", "year:..2009"),
    ("e2", "exclude", "type:book OR type:thesis"),
    ("e3", "exclude", 'TITLE("trombe wall" OR "wind turbine*" OR "ship trajector*")'),
    ("e4", "exclude", "has:abstract AND NOT (sme* OR msme* OR umkm OR business* OR firm*)"),
    ("e5", "flag", "lang:id AND NOT has:abstract"),
    ("f1", "flag", 'TS=(("social influence" OR "peer influence") NEAR/3 (adoption OR intention*))'),
    ("f2", "flag", '"literature review" OR "systematic review" OR "bibliometric*"'),
    ("f3", "flag", "title:(covid* OR pandemic*) AND year:2020..2022"),
    ("f4", "flag", "(influencer* OR kol OR kols) W/5 (trust* OR credib*)"),
    ("f5", "flag", "live PRE/2 (stream* OR commerce)"),
    ("f6", "flag", '"user-generated content"[tiab] AND ugc[ab]'),
    ("f7", "flag", "TITLE-ABS-KEY(tiktok OR instagram OR youtube OR facebook) AND sme*"),
    ("f8", "flag", "organi?ation* AND behavio$r*"),
    ("f9", "flag", "vocab:drivers.cbec AND vocab:asia"),
    ("f10", "flag", "vocab:drivers>=3"),
    ("f11", "flag", 'keywords:("digital marketing" OR "social media marketing")'),
    ("f12", "flag", 'abstract:(survey* AND (pls-sem OR sem OR "structural equation*"))'),
    ("f13", "flag", "export* NEAR/4 (performance OR intensity OR growth)"),
    ("f14", "flag", '("small and medium*" OR sme OR smes) AND (china OR chinese)'),
    ("f15", "flag", "PUBYEAR > 2022 AND (artificial intelligence OR ai OR chatbot*)"),
    ("f16", "include", "vocab:context.msme AND vocab:context.internationalisation"),
    ("f17", "include", "digital* AND (transformation OR adoption) AND vocab:asia"),
    ("f18", "include", 'e-commerce OR ecommerce OR "online shop*" OR marketplace*'),
]


def make_records(count: int) -> list[tuple[int, Record]]:
    works = json.loads((REPO / "corpus" / "works.json").read_text(encoding="utf-8"))
    records = []
    for index in range(count):
        work = works[index % len(works)]
        year = (work.get("year") or 2020) + (index // len(works)) % 5 - 2
        records.append(
            (
                index + 1,
                Record(
                    title=f"{work['title']} {index}",
                    abstract=work.get("abstract", ""),
                    author_keywords=list(work.get("author_keywords", [])),
                    year=year,
                    language=work.get("language", "en"),
                    document_type=work.get("type", "article"),
                ),
            )
        )
    return records


def main(count: int = 100_000) -> float:
    protocol = load_protocol(REPO / "protocols" / "msme-digital-drivers.toml")
    vocabularies = Tagger.of(protocol)
    rules = protocol_rules(protocol, Tagger.of(protocol))
    for rule_id, action, query in EXTRA_RULES:
        rule = Rule(rule_id, "title_abstract", action, rule_id, query)
        rules.append(
            CompiledRule(rule, Matcher(parse_query(query), vocabularies, protocol.periods))
        )
    # the protocol's catch-all flags go last, so that every rule is tried on most records
    catch_all = [r for r in rules if r.rule.id in ("single-driver", "no-driver")]
    rules = [r for r in rules if r not in catch_all] + catch_all
    assert len(rules) == 30, len(rules)
    records = make_records(count)

    started = time.perf_counter()
    texts = [RecordText.of(record_id, record) for record_id, record in records]
    folded = time.perf_counter()
    decided: dict[str, int] = {}
    for text in texts:
        decision = decide(text, rules, "title_abstract")
        key = decision.rule_id if decision else "-"
        decided[key] = decided.get(key, 0) + 1
        if decision and decision.decision == "include":
            decide(text, rules, "full_text")
    done = time.perf_counter()
    total = done - started
    print(f"{count:,} records x {len(rules)} rules")
    print(f"  folding the records' text: {folded - started:.2f} s")
    print(f"  applying the rules:        {done - folded:.2f} s")
    print(f"  total:                     {total:.2f} s ({count / total:,.0f} records/s)")
    print("  decisions by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(decided.items())))
    return total


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
