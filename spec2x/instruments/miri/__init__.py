"""miri."""
