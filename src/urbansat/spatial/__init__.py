"""urbansat.spatial."""
