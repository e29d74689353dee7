"""Views built from the one log: customer, cost, crm and cem, and the runner that feeds them."""

# The public modules; import from them (nothing is re-exported here).
__all__ = [
    "cem",
    "config",
    "cost",
    "crm",
    "customer",
    "projector",
    "query",
    "rebuild",
    "registry",
    "replay",
    "runner",
    "tracking",
]
