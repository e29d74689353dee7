"""Bulk loads through the ledger: NDJSON facts and CSV exports via mapping files."""
