"""The PDF usage summary: its figures, its words, its layout and its rendering."""
