"""niriss."""
