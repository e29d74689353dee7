"""The cem view: NPS with its margin, CSAT, effort, closed loop (METRICS.md)."""

# The public modules; import from them (nothing is re-exported here).
__all__ = ["queries", "sql", "view"]
