"""Tamper evidence over the stored log: chain entries, digests, proofs, verification, exports."""
