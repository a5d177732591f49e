"""guard's own rules: one rule per module."""
