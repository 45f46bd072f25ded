"""The HTTP side: the RPC endpoint, download links, and the ASGI app that joins them."""
