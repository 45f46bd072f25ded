"""Usage data: the 5-minute sample store, ingestion from files, and the demo generator."""
