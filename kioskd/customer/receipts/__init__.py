"""Receipts: layout, printing with retries, and the signed QR proof."""
