"""Regenerate NotoSansCJKsc-Regular-subset.otf (see PROVENANCE.md); needs fontTools.

Usage: python _subset.py /path/to/NotoSansCJKsc-Regular.otf [extra text files ...]
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")


def gb2312() -> set[str]:
    """Every character of GB 2312-80 (symbols rows 1-9, hanzi levels 1 and 2)."""
    out = set()
    for hi in [*range(0xA1, 0xAA), *range(0xB0, 0xF8)]:
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                out.add(bytes([hi, lo]).decode("gb2312"))
    return out


def main() -> None:
    source, extra = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    chars = gb2312() | {chr(c) for c in range(0x3040, 0x3100)}  # + hiragana, katakana
    roots = [HERE.parents[1], HERE.parents[3] / "data" / "samples", *extra]
    for root in roots:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for p in files:
            if p.suffix.lower() in {".py", ".csv", ".md", ".yaml", ".json", ".geojson", ".j2"}:
                chars |= set(CJK.findall(p.read_bytes().decode("utf-8", "ignore")))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("".join(sorted(chars)))
    out = HERE / "NotoSansCJKsc-Regular-subset.otf"
    args = [f"--text-file={f.name}", f"--output-file={out}", "--layout-features=", "--no-hinting"]
    subprocess.run(
        ["pyftsubset", str(source), *args],
        check=True,
    )
    print(f"{len(chars)} characters -> {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
