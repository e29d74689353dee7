"""``touchpoint demo``: the command (``command``), its resumable load (``load``) and the
pages and keys it prints (``pages``)."""

__all__: list[str] = []
