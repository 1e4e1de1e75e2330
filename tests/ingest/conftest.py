"""Fixtures of the ingest tests."""

from __future__ import annotations

import pytest

from urbansat.ingest.readers import GranuleReader
from urbansat.ingest.readers import registry as reg
from urbansat.testing.granules import make_swath


class MinimalReader(GranuleReader):
    """A plug-in implementing only the base contract ``open_dataset(path, *, variables=None)``.

    It returns a 20 x 8 noise-free swath whose first 3 rows fail QA, for any ``*.minimal`` file.
    """

    name = "minimal_test"
    gases = ("co2",)

    def guess_can_open(self, path):
        return str(path).endswith(".minimal")

    def match_filename(self, path):
        return self.guess_can_open(path)

    def open_dataset(self, path, *, variables=None):
        ds = make_swath(shape_yx=(20, 8), noise=0.0)
        ds["qa_pass"][:3] = False
        return ds


@pytest.fixture
def minimal_reader(monkeypatch) -> str:
    """Register :class:`MinimalReader` as the only reader; return its name."""
    monkeypatch.setattr(reg, "_readers", lambda: {MinimalReader.name: MinimalReader()})
    return MinimalReader.name
