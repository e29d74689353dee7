"""customer."""
