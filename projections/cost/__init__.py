"""The cost view: volumes, AHT, ASA, service level, FCR, cost per contact (METRICS.md)."""

# The public modules; import from them (nothing is re-exported here).
__all__ = ["queries", "view"]
