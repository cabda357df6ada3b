"""Backend link: canonical JSON, JWS signing, keys, HTTP client, payments, outbox, batches."""
