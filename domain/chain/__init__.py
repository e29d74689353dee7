"""The hash chain over the log, pure: record hashes, Merkle trees, proofs."""

# The public modules; import from them (nothing is re-exported here).
__all__ = ["hashes", "merkle", "proofs"]
