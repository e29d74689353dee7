"""touchpoint domain: the facts, the rules that guard them and the ledger service.

Imports only the standard library, pydantic and eventsourcing's domain and
application modules.
"""

# The public modules; import from them (nothing is re-exported here).
__all__ = [
    "chain",
    "commands",
    "decide",
    "errors",
    "facts",
    "ids",
    "ledger",
    "outcomes",
    "ports",
    "reading",
    "rules",
]
