"""urbansat.sinks."""
