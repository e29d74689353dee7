"""The single customer view of the agent desktop."""

# The public modules; import from them (nothing is re-exported here).
__all__ = ["as_of", "index", "models", "queries", "search", "timeline", "updates", "view"]
