"""The crm view: response, conversion, cost per acquisition, lift, pressure (METRICS.md)."""

# The public modules; import from them (nothing is re-exported here).
__all__ = ["queries", "sql", "view"]
