"""Writers for records: RIS, BibTeX, CSV and ASReview CSV, for any selection of stored records."""

from slr.cells import safe_cell
from slr.export.writers import EXPORT_CHOICES, EXPORT_FORMATS, write_records

__all__ = ["EXPORT_CHOICES", "EXPORT_FORMATS", "safe_cell", "write_records"]
