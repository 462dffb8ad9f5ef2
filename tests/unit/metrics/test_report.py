"""The performance report: one page, the same in markdown and HTML, comparison on request."""

from __future__ import annotations

from datetime import timedelta

from bluelabel.metrics.report import build_report
from bluelabel.render import render_html, render_markdown
from bluelabel.runstats import RunInfo
from tests.unit.test_runstats import T0, tr

TRIES = [
    tr("ingest", "r1", "success", 0, 0.1, pages=10),
    tr("digest", "r1", "success", 0.1, 0.05),
    tr("ingest", "r2", "failed", 10, 0.9, record=False),  # killed: no measurement
    tr("digest", "r2", "upstream_failed", 11, 0, record=False),
]
RUNS = [
    RunInfo("wf", "r1", "success", T0, T0 + timedelta(seconds=0.2)),
    RunInfo("wf", "r2", "failed", T0 + timedelta(seconds=10), T0 + timedelta(seconds=11)),
]


def test_report_sections_in_both_formats() -> None:
    page = build_report(TRIES, RUNS, since=T0, until=T0 + timedelta(days=1))
    text = render_markdown(page)
    for heading in ("## Summary", "## Execution times", "## Memory", "## Concurrent processing"):
        assert heading in text
    assert "Compared with the original system" not in text  # an option, not the default
    assert "1 task try was killed before measuring" in text
    assert "Period 1 Jan 2026, 00:00 UTC to 2 Jan 2026, 00:00 UTC" in text
    html = render_html(page)
    assert (
        "**" not in html and "<table>" in html and html.count("<table>") == html.count("</table>")
    )


def test_comparison_with_the_original_is_explained_and_marked() -> None:
    text = render_markdown(build_report(TRIES, RUNS, since=None, compare=True))
    assert "## Compared with the original system" in text
    assert "| Success rate | >= 100 % | 50.0 % | not met |" in text
    assert "| Large PDF ingest (1,000+ pages), max | < 5000 ms | n/a | no data |" in text
