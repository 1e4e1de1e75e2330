"""urbansat.plot."""
