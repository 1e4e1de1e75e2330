"""urbansat.validation."""
