"""Workbooks: layout per Type and Language, the writer seam, and the builder."""
