"""touchpoint runtime: settings, storage adapters, HTTP API and CLI."""
