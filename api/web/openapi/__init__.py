"""The API's own documentation: offline Swagger UI and ReDoc pages (``docs``) and the
readable operation ids generated clients name their methods after (``operation_ids``)."""

__all__: list[str] = []
