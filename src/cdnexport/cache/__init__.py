"""Request guards kept in Redis so they hold across API processes: nonces and rate limits."""
