"""What the centre publishes as facts: its call reasons (``call_reasons``) and its contact
policy (``contact_policy``), each read as in force at a position."""

__all__: list[str] = []
