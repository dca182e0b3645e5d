"""Full texts: text from PDFs per page (repaired), files matched to records, reference lists."""
