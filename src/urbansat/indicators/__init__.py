"""urbansat.indicators."""
