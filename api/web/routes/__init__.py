"""One module per URL prefix; each exposes ``router()``."""
