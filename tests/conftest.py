"""Shared fixtures: paths to the project's samples and to ../shared/samples."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
PROJECT_SAMPLES = REPO / "data" / "samples"
SHARED_SAMPLES = Path(os.environ.get("URBANSAT_SHARED_SAMPLES", REPO.parent / "shared" / "samples"))


@pytest.fixture(scope="session")
def project_samples() -> Path:
    """``data/samples/`` of this repository (always present)."""
    return PROJECT_SAMPLES


@pytest.fixture(scope="session")
def shared_samples() -> Path:
    """``../shared/samples`` beside the checkout; skips when absent."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(
            f"shared samples not found at {SHARED_SAMPLES}: clone the repository beside "
            "'shared/' or set URBANSAT_SHARED_SAMPLES"
        )
    return SHARED_SAMPLES
