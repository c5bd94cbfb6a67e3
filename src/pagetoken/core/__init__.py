"""The pure domain: token format, permissions, errors, proofs and the clock. No I/O, no framework."""
