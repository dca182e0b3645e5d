"""The PRISMA2020 R package's template (`inst/extdata/PRISMA.csv`): its columns and rows, with the
`n` column filled from the counts, so that `PRISMA_data(read.csv(FILE))` reads it unchanged."""

from __future__ import annotations

import io
import json
from typing import Any

from slr.cells import markdown_row, safe_csv_writer
from slr.prisma.counts import Counts

COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")

_DBR = "(databases and registers)"
# data, node, box, description, boxtext, tooltips, url ("NA" where the template has NA)
ROWS: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies",
     "Grey title box; Previous studies", "prevstud.html"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies included in previous version of review",
     "Studies included in previous version of review", "previous_studies.html"),
    ("previous_reports", "NA", "box1",
     "Reports of studies included in previous version of review",
     "Reports of studies included in previous version of review", "NA", "previous_reports.html"),
    ("NA", "node6", "newstud",
     "Yellow title box; Identification of new studies via databases and registers",
     "Identification of new studies via databases and registers",
     "Yellow title box; Identification of new studies via databases and registers",
     "newstud.html"),
    ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
     "Records identified from: Databases and Registers", "database_results.html"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
     "Specific Databases", "NA", "database_results.html"),
    ("register_results", "NA", "box2", "Records identified from: Registers", "Registers", "NA",
     "NA"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers",
     "Specific Registers", "NA", "database_results.html"),
    ("NA", "node16", "othstud", "Grey title box; Identification of new studies via other methods",
     "Identification of new studies via other methods",
     "Grey title box; Identification of new studies via other methods", "othstud.html"),
    ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
     "Records identified from: Websites, Organisations and Citation Searching",
     "website_results.html"),
    ("organisation_results", "", "box11", "Records identified from: Organisations",
     "Organisations", "NA", "NA"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching",
     "Citation searching", "NA", "NA"),
    ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records", "Duplicate records",
     "duplicates.html"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
     "Records marked as ineligible by automation tools", "NA", "NA"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons",
     "Records removed for other reasons", "NA", "NA"),
    ("records_screened", "node9", "box4", f"Records screened {_DBR}", "Records screened",
     f"Records screened {_DBR}", "records_screened.html"),
    ("records_excluded", "node10", "box5", f"Records excluded {_DBR}", "Records excluded",
     f"Records excluded {_DBR}", "records_excluded.html"),
    ("dbr_sought_reports", "node11", "box6", f"Reports sought for retrieval {_DBR}",
     "Reports sought for retrieval", f"Reports sought for retrieval {_DBR}",
     "dbr_sought_reports.html"),
    ("dbr_notretrieved_reports", "node12", "box7", f"Reports not retrieved {_DBR}",
     "Reports not retrieved", f"Reports not retrieved {_DBR}", "dbr_notretrieved_reports.html"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
     "Reports sought for retrieval", "Reports sought for retrieval (other)",
     "other_sought_reports.html"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)",
     "Reports not retrieved", "Reports not retrieved (other)", "other_notretrieved_reports.html"),
    ("dbr_assessed", "node13", "box8", f"Reports assessed for eligibility {_DBR}",
     "Reports assessed for eligibility", f"Reports assessed for eligibility {_DBR}",
     "dbr_assessed.html"),
    ("dbr_excluded", "node14", "box9",
     f"Reports excluded {_DBR}: [separate reasons and numbers using ; e.g. Reason1, xxx; "
     "Reason2, xxx; Reason3, xxx]", "Reports excluded", f"Reports excluded {_DBR}",
     "dbrexcludedrecords.html"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
     "Reports assessed for eligibility", "Reports assessed for eligibility (other)",
     "other_assessed.html"),
    ("other_excluded", "node21", "box15",
     "Reports excluded (other): [separate reasons and numbers using ; e.g. Reason1, xxx; "
     "Reason2, xxx; Reason3, xxx]", "Reports excluded", "Reports excluded (other)",
     "other_excluded.html"),
    ("new_studies", "node15", "box10", "New studies included in review",
     "New studies included in review", "New studies included in review", "new_studies.html"),
    ("new_reports", "NA", "box10", "Reports of new included studies",
     "Reports of new included studies", "NA", "NA"),
    ("total_studies", "node22", "box16", "Total studies included in review",
     "Total studies included in review", "Total studies included in review",
     "total_studies.html"),
    ("total_reports", "NA", "box16", "Reports of total included studies",
     "Reports of total included studies", "NA", "NA"),
    ("identification", "node1", "identification", "Blue identification box", "Identification",
     "Blue identification box", "identification.html"),
    ("screening", "node2", "screening", "Blue screening box", "Screening", "Blue screening box",
     "screening.html"),
    ("included", "node3", "included", "Blue included box", "Included", "Blue included box",
     "included.html"),
)  # fmt: skip
DATA_IDS = tuple(row[0] for row in ROWS if row[0] != "NA")


def _n(value: Any) -> str:
    if isinstance(value, dict):
        # "Name 1, n; Name 2, n" as the template's example; "0" when there is none
        return "; ".join(f"{name}, {n}" for name, n in value.items()) if value else "0"
    return str(value)


def prisma_csv(counts: Counts) -> str:
    values = counts.template()
    out = io.StringIO()
    writer = safe_csv_writer(out)  # the n column names exclusion reasons: reviewers' text
    writer.writerow(COLUMNS)
    for row in ROWS:
        writer.writerow((*row, _n(values.get(row[0], 0))))
    return out.getvalue()


def prisma_json(counts: Counts) -> str:
    return json.dumps(counts.to_json(), indent=2, ensure_ascii=False) + "\n"


def prisma_markdown(counts: Counts, generated: str = "") -> str:
    """Every count under its template id, then the details the template has no box for;
    `generated` (when the counts were taken) first."""
    values = counts.template()
    lines = [f"Generated from the review {generated}.", ""] if generated else []
    lines += ["| PRISMA2020 id | Box | n |", "|---|---|---:|"]
    for row in ROWS:
        if row[0] == "NA" or row[0] not in values:
            continue
        value = values[row[0]]
        shown = _n(value) if isinstance(value, dict) else str(value)
        if isinstance(value, dict) and row[0].endswith("_excluded"):
            shown = f"{sum(value.values())} ({shown})" if value else "0"
        lines.append(markdown_row((row[0], row[4], shown)))
    lines.append("")
    lines.append("| Detail | n |")
    lines.append("|---|---:|")
    lines.extend(markdown_row(item) for item in counts.details().items())
    return "\n".join(lines) + "\n"
