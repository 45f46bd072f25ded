"""Webhooks: a signed POST to the account's URL when one of its exports succeeds or fails,
delivered from the database outbox at least once, retried with backoff for 24 hours."""
