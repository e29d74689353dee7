"""touchpoint domain: the facts, the rules that guard them and the ledger service.

Imports only the standard library, pydantic and eventsourcing's domain and
application modules.
"""
