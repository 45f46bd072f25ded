"""Actions: typed parameters in, result models out. No HTTP, JSON or XML here."""
