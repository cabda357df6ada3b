"""The person paying: the screen, receipts and what they are told."""
