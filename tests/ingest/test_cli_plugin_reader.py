"""`urbansat info` works with a plug-in reader that implements only the base contract.

The CLI used to call ``reader.open_dataset(path, chunks=..., qa=...)`` directly, which
raises TypeError for a reader implementing ``open_dataset(path, *, variables=None)``
(the GranuleReader contract; found by mypy). It now goes through the same adapter as
open_granules, which applies chunks and qa itself.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from urbansat.cli import app


def test_info_with_minimal_plugin_reader(tmp_path, minimal_reader):
    p = tmp_path / "x.minimal"
    p.write_bytes(b"")
    res = CliRunner().invoke(app, ["info", "--json", "--product", minimal_reader, str(p)])
    assert res.exit_code == 0, res.output
    (row,) = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert row["soundings"] == 20 * 8 and row["qa_pass"] == 17 * 8
