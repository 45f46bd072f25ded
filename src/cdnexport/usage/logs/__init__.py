"""Usage from access logs: Alibaba Cloud CDN, nginx and JSON-lines logs aggregated into samples."""
