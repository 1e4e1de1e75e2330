"""Regenerate the golden indicator table: ``python tests/data/golden/regenerate.py``.

Review the diff of ``tci231_small.csv`` in the PR: every change must be explained.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "indicators"))

import builders  # noqa: E402 - lives in tests/indicators, put on sys.path just above


def main() -> None:
    table = builders.full_table()
    table.to_csv(HERE / "tci231_small.csv", index=False, float_format="%.10g", lineterminator="\n")
    print(f"wrote {len(table)} rows to {HERE / 'tci231_small.csv'}")


if __name__ == "__main__":
    main()
