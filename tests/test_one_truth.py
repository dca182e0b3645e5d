"""Every command agrees on what was decided: PRISMA's included studies, `slr status --json`, the
rows of `export --stage included`, the extraction matrix and the studies of both graphs are one
set, whatever the reviewers, resolutions, rules and full texts say, for one and two reviewers."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from slr.cli import main
from slr.dedup import deduplicate
from slr.errors import SlrError
from slr.graphs import citation_graphs, cooccurrence_graphs
from slr.importing import import_files
from slr.prisma import prisma_counts
from slr.protocol import load_protocol
from slr.screening.run import screen_auto
from slr.screening.status import required_reviewers, review_statuses
from slr.store import Review
from slr.store import screening as store
from slr.tagging.matrix import build_matrix
from slr.tagging.run import tag_review

REPO = Path(__file__).resolve().parent.parent
PROTOCOL = REPO / "protocols" / "msme-digital-drivers.toml"
TITLES = [
    "Cross-border e-commerce and influencer marketing for Indonesian SMEs",
    "User-generated content and personal shoppers (jastip) in MSME exports",
    "Influencers, daigou and cross-border e-commerce of small firms in China",
    "Social media content by users and the internationalisation of SMEs in Vietnam",
    "A survey of digital platforms among micro enterprises in Malaysia",
    "Live streaming sellers and SME exports in Thailand",
    "Online reviews and cross-border marketplaces for Philippine SMEs",
    "Influencer endorsement of MSME brands across ASEAN",
]


def ris(count: int) -> str:
    entries = []
    for number in range(count):
        title = TITLES[number % len(TITLES)]
        entries.append(
            f"TY  - JOUR\nAU  - Author{number}, A.\nTI  - {title} ({number})\n"
            f"AB  - We study {title.lower()} with a survey of firms in Asia.\n"
            f"PY  - {2019 + number % 6}\nDO  - 10.5555/one-truth-{number % 10}\n"
            f"JO  - Journal of Small Business\nER  - \n\n"
        )
    return "".join(entries)


def make_base(folder: Path, reviewers: int) -> Path:
    """A review of 12 records (2 of them duplicates) screened by the rules."""
    protocol = folder / "protocol.toml"
    text = PROTOCOL.read_text(encoding="utf-8")
    protocol.write_text(text.replace("[screening]\n", f"[screening]\nreviewers = {reviewers}\n"))
    export = folder / "export.ris"
    export.write_text(ris(12), encoding="utf-8")
    path = folder / "review"
    with Review.create(path, protocol) as review:
        import_files(review, [export])
        deduplicate(review)
        screen_auto(review, load_protocol(path / "protocol.toml"))
    return path


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    return {n: make_base(tmp_path_factory.mktemp(f"base{n}"), n) for n in (1, 2)}


DECISION = st.sampled_from(["include", "exclude", "maybe", None])
RECORD_PLAN = st.fixed_dictionaries(
    {
        "ta": st.tuples(DECISION, DECISION),  # ana's and ben's votes at title/abstract
        "ta_resolution": st.sampled_from([None, None, "include", "exclude"]),
        "ft": st.tuples(DECISION, DECISION),
        "ft_resolution": st.sampled_from([None, None, "include", "exclude"]),
        "fulltext": st.sampled_from([None, None, "missing"]),
    }
)


def apply(review: Review, plans: list[dict]) -> None:
    ids = review_statuses(review).ids("unique")
    for record_id, plan in zip(ids, plans, strict=False):
        for stage, votes, resolution in (
            ("title_abstract", plan["ta"], plan["ta_resolution"]),
            ("full_text", plan["ft"], plan["ft_resolution"]),
        ):
            for reviewer, vote in zip(("ana", "ben"), votes, strict=True):
                if vote is not None:
                    reason = "No MSME/SME context" if vote == "exclude" else ""
                    decision = store.HUMAN_DECISIONS[vote]
                    store.record_human_decision(
                        review.db, record_id, stage, reviewer, decision, reason
                    )
            if resolution is not None:
                store.record_final_decision(
                    review.db, record_id, stage, resolution, "Outside the Asian context", "lead"
                )
        if plan["fulltext"] == "missing":
            store.set_fulltext(review.db, record_id, missing_reason="paywalled")


def included_everywhere(path: Path) -> dict[str, set[int]]:
    runner = CliRunner()
    found: dict[str, set[int]] = {}
    with Review.open(path) as review:
        protocol = load_protocol(path / "protocol.toml")
        found["resolver"] = set(review_statuses(review).ids("included"))
        counts = prisma_counts(review.db, reviewers=required_reviewers(review))
        found["prisma"] = set(counts.dbr.included) | set(counts.other.included)
        assert counts.template()["total_studies"] == len(found["prisma"])
        tag_review(review, protocol, "included")
        found["matrix"] = {int(row[0]) for row in build_matrix(review, protocol, "included").rows}
        for name, draw in (
            ("cooccurrence", lambda: cooccurrence_graphs(review, protocol, "included", "drivers")),
            ("citations", lambda: citation_graphs(review, protocol, "included", "direct")),
        ):
            try:
                found[name] = set(draw().studies)
            except SlrError:  # "no records at stage included" (or none tagged)
                found[name] = set()
    status = json.loads(runner.invoke(main, ["status", "--review", str(path), "--json"]).output)
    exported = runner.invoke(
        main, ["export", "--review", str(path), "--stage", "included", "--format", "csv"]
    )
    found["export"] = {int(row["id"]) for row in csv.DictReader(io.StringIO(exported.output))}
    assert status["stages"]["included in the review"] == len(found["resolver"])
    return found


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reviewers=st.sampled_from([1, 2]), plans=st.lists(RECORD_PLAN, min_size=10, max_size=10))
def test_every_command_includes_the_same_studies(
    bases: dict[int, Path], reviewers: int, plans: list[dict]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "review"
        shutil.copytree(bases[reviewers], path)
        with Review.open(path) as review:
            apply(review, plans)
        found = included_everywhere(path)
    expected = found["resolver"]
    event(f"{min(len(expected), 3)}+ studies included" if expected else "none included")
    tagged_views = {"cooccurrence", "citations"}
    for name, ids in found.items():
        if name == "cooccurrence" and ids != expected:
            # the co-occurrence graph needs tags: studies with no driver tag may be missing
            assert ids <= expected, name
            continue
        assert ids == expected, (name, sorted(ids), sorted(expected))
    assert tagged_views <= set(found)


def test_a_conflict_is_awaiting_everywhere(bases: dict[int, Path], tmp_path: Path) -> None:
    path = tmp_path / "review"
    shutil.copytree(bases[1], path)
    with Review.open(path) as review:
        first = review_statuses(review).ids("unique")[0]
        store.record_human_decision(review.db, first, "title_abstract", "ana", "include")
        store.record_human_decision(review.db, first, "title_abstract", "ben", "exclude", "x")
        store.record_human_decision(review.db, first, "full_text", "ana", "include")
        status = review_statuses(review).status_of(first, "title_abstract")
        assert status is not None and status.status == "conflict"
    found = included_everywhere(path)
    assert all(first not in ids for ids in found.values())
    # a resolution decides it, and a late extra vote does not reopen it
    with Review.open(path) as review:
        store.record_final_decision(review.db, first, "title_abstract", "include", "", "lead")
        store.record_human_decision(review.db, first, "title_abstract", "cai", "exclude", "x")
    found = included_everywhere(path)
    assert all(first in ids for name, ids in found.items() if name != "cooccurrence")


def test_a_report_not_retrieved_or_maybe_at_full_text_is_not_included(
    bases: dict[int, Path], tmp_path: Path
) -> None:
    path = tmp_path / "review"
    shutil.copytree(bases[1], path)
    with Review.open(path) as review:
        first, second, third = review_statuses(review).ids("unique")[:3]
        for record_id in (first, second, third):
            store.record_human_decision(review.db, record_id, "title_abstract", "ana", "include")
            store.record_human_decision(review.db, record_id, "full_text", "ana", "include")
        store.set_fulltext(review.db, second, missing_reason="paywalled")
        store.record_human_decision(review.db, third, "full_text", "ana", "flag")
    found = included_everywhere(path)
    assert found["resolver"] == {first}
    assert all(ids == {first} for name, ids in found.items() if name != "cooccurrence")


def test_two_reviewers_are_needed_when_the_protocol_says_so(
    bases: dict[int, Path], tmp_path: Path
) -> None:
    path = tmp_path / "review"
    shutil.copytree(bases[2], path)
    with Review.open(path) as review:
        first = review_statuses(review).ids("unique")[0]
        store.record_human_decision(review.db, first, "title_abstract", "ana", "include")
        assert review_statuses(review).status_of(first, "title_abstract").status == "awaiting"
        store.record_human_decision(review.db, first, "title_abstract", "ben", "include")
        assert review_statuses(review).status_of(first, "title_abstract").status == "include"
