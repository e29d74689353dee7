"""PostgreSQL adapters: the recorder, the key vault, the API-key store, migrations."""
