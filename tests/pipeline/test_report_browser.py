"""Render the demo report in headless Chromium and check the screenshot is a real page.

Skips (with the reason) when no Chromium/Chrome binary is installed; the HTML itself is
checked structurally in test_demo_job.py::test_report_structure either way.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _browser() -> str | None:
    return next((b for b in map(shutil.which, BROWSERS) if b), None)


@pytest.mark.skipif(
    _browser() is None,
    reason="no headless browser (chromium/google-chrome) on PATH; "
    "install one (Debian: apt-get install chromium) to screenshot the report",
)
def test_report_screenshot(demo_run, tmp_path):
    import matplotlib.image as mpimg

    _, r = demo_run
    shot = tmp_path / "report.png"
    cmd = [
        _browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=1280,2400",
        f"--screenshot={shot}",
        r.report.resolve().as_uri(),
    ]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.is_file(), "chromium wrote no screenshot"
    img = mpimg.imread(shot)
    assert img.shape[0] == 2400 and img.shape[1] == 1280
    rgb = img[..., :3]
    # a rendered page: the dark header band, white-ish content, and many distinct colours (plots)
    assert rgb[:40].mean() < 0.4
    assert rgb[600:].mean() > 0.6
    assert len(np.unique((rgb[::4, ::4] * 255).astype(int).reshape(-1, 3), axis=0)) > 200
