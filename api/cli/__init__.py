"""The ``touchpoint`` command: one module per command group (``main`` assembles them)."""
