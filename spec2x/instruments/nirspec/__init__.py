"""nirspec."""
