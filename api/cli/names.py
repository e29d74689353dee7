"""Names the commands' ``--help`` shows, kept here so ``--help`` imports nothing heavy.

``projections.registry.VIEW_NAMES`` and ``api.storage.keys.ROLES`` are the sources of
truth; importing them imports every view, or the connection pool (the database stack),
which ``touchpoint views --help`` or ``keys create --help`` should not wait for. A unit
test keeps these copies equal to them.
"""

from __future__ import annotations

__all__ = ["ROLES", "VIEW_NAMES"]

VIEW_NAMES: tuple[str, ...] = ("customer", "cost", "crm", "cem")
ROLES: tuple[str, ...] = ("agent", "analyst", "auditor", "integrator", "admin")
