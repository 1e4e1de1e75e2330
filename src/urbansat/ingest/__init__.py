"""EDGE: the only package that reads user files (granules, land cover, boundaries, winds...)."""
