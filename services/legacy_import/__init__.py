"""Importing an office's legacy case ledger (Excel): its format, the all-rows check, and the one-transaction write."""
