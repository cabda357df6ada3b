"""The customer's pages at the backend: a receipt opened from its QR code, and an issued invoice."""

from refbackend.receipt.page import ReceiptPages

__all__ = ["ReceiptPages"]
