"""urbansat.export."""
