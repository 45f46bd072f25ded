"""cdnexport: a self-hostable, wire-compatible Alibaba Cloud CDN usage-detail export service."""

__version__ = "0.1.0"
