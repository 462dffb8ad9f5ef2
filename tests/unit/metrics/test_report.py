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
    assert "| Large PDF ingest (1,000+ pages), max | < 5.0 s | n/a | no data |" in text
    assert "| Workflow total, average | < 854 ms | 600 ms | met |" in text


def test_durations_are_in_the_units_the_ui_shows() -> None:
    """Not "44,469.6 ms" in the report while the UI says "44.5 s"."""
    tries = [tr("ingest", "r1", "success", 0, 44.4696), tr("digest", "r1", "success", 50, 26)]
    runs = [RunInfo("wf", "r1", "success", T0, T0 + timedelta(seconds=76.2))]
    text = render_markdown(build_report(tries, runs, since=None))
    assert "Slowest step on average: wf.ingest (44.5 s)." in text
    assert "| Average | Min | Max | P95 |" in text and "(ms)" not in text
    assert "| Workflow run (Airflow, start to end) | 1 | 1 min 16 s | 1 min 16 s |" in text
    assert "| Agent run (the agent's own work) | 2 | 17.6 s | 13.0 s | 22.2 s |" in text
    assert "| Single workflow | 1 | 60.0 | 60.0 | 0 |" in text  # memory stays in MB
    assert "44,469" not in text and "44469" not in text
