"""Builders of synthetic data in the exact official layouts, and test helpers."""
