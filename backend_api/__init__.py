"""The wire contract both sides share: canonical JSON (RFC 8785), JWS (EdDSA), key and field encodings, receipt proofs."""
