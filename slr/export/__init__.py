"""Writers for records: RIS, BibTeX and CSV, for any selection of stored records."""

from slr.export.writers import EXPORT_FORMATS, write_records

__all__ = ["EXPORT_FORMATS", "write_records"]
