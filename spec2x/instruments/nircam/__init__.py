"""nircam."""
