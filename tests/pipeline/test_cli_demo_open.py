"""``urbansat demo --open`` opens the report in the browser (issue 19 item 5, CLI polish).

The job itself is the session's demo run (``demo_run``): ``run_job`` is replaced by a function
returning it, so these tests check the command's own work (summary, the file URI handed to
:func:`webbrowser.open`, the message when no browser starts) in well under a second.
"""

from __future__ import annotations

import webbrowser

import pytest
from typer.testing import CliRunner

import urbansat.pipeline
from urbansat.cli import app


@pytest.fixture
def demo_cli(demo_run, monkeypatch, tmp_path):
    _, result = demo_run
    calls: list[str] = []
    monkeypatch.setattr(urbansat.pipeline, "run_job", lambda *a, **k: result)

    def invoke(*args: str, opens: bool = True):
        def fake_open(uri: str, *a, **k) -> bool:
            calls.append(uri)
            return opens

        monkeypatch.setattr(webbrowser, "open", fake_open)
        return CliRunner().invoke(app, ["demo", "-o", str(tmp_path / "out"), *args])

    return result, calls, invoke


def test_open_hands_the_report_file_uri_to_the_browser(demo_cli):
    result, calls, invoke = demo_cli
    out = invoke("--open", "--no-progress")
    assert out.exit_code == 0, out.output
    assert calls == [result.report.resolve().as_uri()]
    assert calls[0].startswith("file:///") and calls[0].endswith("/report.html")
    assert f"printable report: {result.report_pdf}" in out.output


def test_without_open_no_browser_is_started(demo_cli):
    _, calls, invoke = demo_cli
    out = invoke("--no-progress")
    assert out.exit_code == 0, out.output
    assert calls == []


def test_no_browser_says_where_the_report_is(demo_cli):
    result, calls, invoke = demo_cli
    out = invoke("--open", opens=False)
    assert out.exit_code == 0, out.output
    assert len(calls) == 1
    assert f"open {result.report.resolve().as_uri()} yourself" in out.output


def test_help_lists_open():
    out = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "120"})
    assert out.exit_code == 0 and "--open" in out.output and "browser" in out.output
