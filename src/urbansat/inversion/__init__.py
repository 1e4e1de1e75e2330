"""urbansat.inversion."""
