"""The single customer view of the agent desktop."""

# The public modules; import from them (nothing is re-exported here).
__all__ = ["as_of", "models", "queries", "timeline", "updates", "view"]
