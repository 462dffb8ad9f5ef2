"""Every Bluelabel view in headless Chromium, opened from the Airflow UI as a person would:
log in, navigate, check the content. Screenshots go to test-artifacts/ (light and dark)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.airflow.conftest import ARTIFACTS, RECORDED_RUNS_DISPLAY_NAME, log_in

pytestmark = [pytest.mark.usefixtures("airflow_db")]


#: Resolves once the page's fonts are loaded and two frames have been drawn since.
SETTLED = """
const done = arguments[arguments.length - 1];
document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(done)));
"""


#: The colour an element's text is drawn in, as [r, g, b] (the theme gives oklch()).
RGB_OF_TEXT = """
const canvas = document.createElement("canvas");
canvas.width = canvas.height = 1;
const paint = canvas.getContext("2d");
paint.fillStyle = getComputedStyle(arguments[0]).color;
paint.fillRect(0, 0, 1, 1);
return Array.from(paint.getImageData(0, 0, 1, 1).data.slice(0, 3));
"""


#: How many separate marks of colour the canvas ``arguments[0]`` holds: a chart of points has one
#: per point, a line through them makes one. Colour = saturated (not grey grid, axis or text).
COLOURED_MARKS = """
const canvas = arguments[0];
const { width, height } = canvas;
const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
const coloured = new Uint8Array(width * height);
for (let i = 0; i < width * height; i++) {
  const [r, g, b, a] = pixels.slice(i * 4, i * 4 + 4);
  coloured[i] = a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60 ? 1 : 0;
}
let marks = 0;
for (let start = 0; start < coloured.length; start++) {
  if (coloured[start] !== 1) continue;
  marks += 1;
  const stack = [start];
  coloured[start] = 2;
  while (stack.length) {
    const at = stack.pop();
    const x = at % width, y = (at - x) / width;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const nx = x + dx, ny = y + dy;
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      const next = ny * width + nx;
      if (coloured[next] === 1) { coloured[next] = 2; stack.push(next); }
    }
  }
}
return marks;
"""


#: The nav button's label: its text, and whether it is drawn whole (no ellipsis).
NAV_LABEL_FITS = """
const label = [...arguments[0].querySelectorAll("*")].find(
  (e) => e.children.length === 0 && e.textContent.trim() !== "");
return {text: label.textContent, fits: label.scrollWidth <= label.clientWidth};
"""


def shot(browser: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.set_script_timeout(10)
    browser.execute_async_script(SETTLED)  # a screenshot of the page as drawn, not mid-load
    path = ARTIFACTS / f"{name}.png"
    assert browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000


def wait_for(browser: Any, css: str, text: str | None = None, timeout: float = 30) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(driver: Any) -> Any:
        for element in driver.find_elements(By.CSS_SELECTOR, css):
            if text is None or text in element.text:
                return element
        return False

    try:
        return WebDriverWait(browser, timeout).until(found)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "failed-wait.png"))
        logs = browser.get_log("browser") if hasattr(browser, "get_log") else []
        raise AssertionError(f"{css} with {text!r} did not appear; console: {logs[-5:]}") from None


def click_text(browser: Any, text: str, tag: str = "*") -> None:
    """Click the (innermost) element of ``tag`` whose text is ``text``: a tab, a button."""
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.XPATH, f"//{tag}[normalize-space(.)={text!r}]")
    assert found, f"no {tag} {text!r} on {browser.current_url}"
    found[-1].click()


def test_knowledge_store_search_document_and_digests(
    browser: Any, api_server: tuple[str, str], documents: dict[str, str], progress_run: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _ = api_server
    log_in(browser, base)
    nav = browser.find_element(By.CSS_SELECTOR, "a[aria-label='Knowledge']")
    label = browser.execute_script(NAV_LABEL_FITS, nav)
    assert label["text"] == "Knowledge" and label["fits"], label  # drawn whole, not "Knowledg…"
    nav.click()
    table = wait_for(browser, "[data-testid=documents-table]", "The Airflow handbook", 40)
    assert "Harbour logistics" in table.text
    shot(browser, "knowledge-store")

    search = browser.find_element(By.CSS_SELECTOR, "[data-testid=search]")
    search.send_keys("glacier moraine")
    wait_for(browser, "[data-testid=result-count]", "1 document")
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=documents-table] tbody tr")
    assert len(rows) == 1 and "Glacier survey" in rows[0].text
    marked = {m.text.lower() for m in rows[0].find_elements(By.CSS_SELECTOR, "mark")}
    assert {"glacier", "moraine"} <= marked
    shot(browser, "knowledge-store-search")

    # date filters are typed and shown as ISO days, whatever the browser's locale
    since = browser.find_element(By.CSS_SELECTOR, "[aria-label='Ingested from']")
    assert since.get_attribute("placeholder") == "YYYY-MM-DD"
    since.send_keys("2999-01-01")
    wait_for(browser, "[data-testid=empty]", "No document matches")
    assert "from=2999-01-01" in browser.current_url
    since.send_keys(Keys.BACKSPACE * 10)
    rows = wait_for(browser, "[data-testid=documents-table]", "Glacier survey")
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=documents-table] tbody tr")
    rows[0].find_element(By.LINK_TEXT, "Glacier survey").click()
    page = wait_for(browser, "[data-testid=document-page]", "Summary")
    assert "glacier retreated" in page.find_element(By.CSS_SELECTOR, "[data-testid=summary]").text
    assert "Runs that ingested it" in page.text

    browser.get(f"{base}/plugin/knowledge-store/documents/{documents['The Airflow handbook']}")
    page = wait_for(browser, "[data-testid=document-page]", "Ada Writer")
    metadata = page.find_element(By.CSS_SELECTOR, "[data-testid=metadata]").text
    assert "Author" in metadata and "Pages" in metadata and "page_count" not in metadata
    assert "PDF backend" in metadata and "Pdf backend" not in metadata
    assert page.find_elements(By.CSS_SELECTOR, "[data-testid=key-points] li")
    shot(browser, "knowledge-store-document")

    click_text(browser, "Digests", "button")
    digests = wait_for(browser, "[data-testid=digests-table]", "progress_view_test")
    shot(browser, "knowledge-store-digests")
    row = next(
        r
        for r in digests.find_elements(By.CSS_SELECTOR, "tbody tr")
        if f"progress_view_test / {progress_run.run_id}" in r.text
    )
    assert "Bluelabel digest" in row.text and "Workflow digest" in row.text  # not a file name
    assert not any(f".{suffix}" in row.text for suffix in ("html", "md", "json"))
    cells = row.find_elements(By.CSS_SELECTOR, "td")
    assert cells[1].text[:4].isdigit() and cells[3].text.startswith("1")  # date, documents
    downloads = row.find_elements(By.CSS_SELECTOR, "a[download]")
    assert [a.get_attribute("data-format") for a in downloads] == ["md", "html", "json"]
    assert all("download=true" in a.get_attribute("href") for a in downloads)
    row.find_element(By.LINK_TEXT, "Bluelabel digest").click()
    frame = wait_for(browser, "[data-testid=digest-frame]")
    browser.switch_to.frame(frame)
    assert "Bluelabel digest" in browser.find_element(By.TAG_NAME, "h1").text
    browser.switch_to.default_content()
    shot(browser, "knowledge-store-digest")


def test_metrics_overview_from_the_browse_menu(
    browser: Any, api_server: tuple[str, str], recorded_runs: str
) -> None:
    from selenium.webdriver.common.by import By

    base, _ = api_server
    log_in(browser, base)
    browser.find_element(By.XPATH, "//button[normalize-space(.)='Browse']").click()
    browser.find_element(By.XPATH, "//*[normalize-space(text())='Bluelabel metrics']").click()
    # Airflow's display name of the DAG, as its own pages show it, not the dag_id
    table = wait_for(browser, "[data-testid=workflows-table]", RECORDED_RUNS_DISPLAY_NAME)
    assert browser.current_url.startswith(f"{base}/plugin/bluelabel-metrics")
    row = table.find_element(By.CSS_SELECTOR, f"tr[data-dag={recorded_runs}]")
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[0] == RECORDED_RUNS_DISPLAY_NAME and cells[1] == "2" and cells[2] == "100 %"
    row.click()
    steps = wait_for(browser, f"[data-testid=steps-table][data-dag={recorded_runs}]")
    assert {"plain", "ingest", "digest"} <= {
        r.get_attribute("data-task") for r in steps.find_elements(By.CSS_SELECTOR, "tbody tr")
    }
    body = browser.find_element(By.TAG_NAME, "body").text
    assert f"{RECORDED_RUNS_DISPLAY_NAME}: run durations" in body
    assert len(browser.find_elements(By.CSS_SELECTOR, "canvas")) == 2  # durations, steps
    shot(browser, "metrics-overview")
    # the two runs are two points, not a line from one to the other
    durations = browser.find_element(By.CSS_SELECTOR, "[aria-label^='Run durations'] canvas")
    assert browser.execute_script(COLOURED_MARKS, durations) == 2


def run_url(base: str, run: Any, tail: str = "") -> str:
    return f"{base}/dags/{run.dag_id}/runs/{quote(run.run_id, safe='')}{tail}"


def test_run_tabs_digest_metrics_progress(
    browser: Any, api_server: tuple[str, str], progress_run: Any
) -> None:
    from selenium.webdriver.common.by import By

    base, _ = api_server
    log_in(browser, base)
    browser.get(run_url(base, progress_run))
    click_text(browser, "Digest", "a")
    frame = wait_for(browser, "[data-testid=digest-frame]")
    browser.switch_to.frame(frame)
    assert "Progress views show pages done" in browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    links = wait_for(browser, "[data-testid=digest-downloads]", "Markdown")
    hrefs = {
        a.get_attribute("data-format"): a.get_attribute("href")
        for a in links.find_elements(By.CSS_SELECTOR, "a[download]")
    }
    assert sorted(hrefs) == ["html", "json", "md"]
    assert all(h.split("?")[0].endswith("/digest") and f"format={f}" in h for f, h in hrefs.items())
    shot(browser, "run-digest")

    click_text(browser, "Metrics", "a")
    metrics = wait_for(browser, "[data-testid=steps-table]", "count_pages")
    assert "ingest" in metrics.text and "digest" in metrics.text
    wall = browser.find_element(By.CSS_SELECTOR, "[data-testid='figure-Wall time']").text
    assert wall.endswith(" s") or wall.endswith(" ms")
    shot(browser, "run-metrics")

    click_text(browser, "Progress", "a")
    progress = wait_for(browser, "[data-testid=progress-table]", "count_pages")
    assert "40 / 40 pages" in progress.text and "done" in progress.text
    badge = wait_for(browser, "[data-testid=progress-live]", "success")  # finished: not "Live"
    assert "Live" not in badge.text
    shot(browser, "run-progress")


def test_failures_in_plain_sight_on_the_digest_and_progress_tabs(
    browser: Any, api_server: tuple[str, str], batch_runs: dict[str, Any]
) -> None:
    """A batch with a failed and a quarantined file: the Digest tab lists both with their
    reasons; the Progress tab shows the failed task red with its reason, mapped tasks by their
    file, and the batch's count; a run in which every file failed says what failed."""
    from selenium.webdriver.common.by import By

    base, _ = api_server
    log_in(browser, base)
    browser.get(run_url(base, batch_runs["mixed"]))
    click_text(browser, "Digest", "a")
    frame = wait_for(browser, "[data-testid=digest-frame]")
    browser.switch_to.frame(frame)
    body = browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    assert "Could not be read" in body and "1 document, 2 could not be read" in body
    assert "broken.pdf: " in body and "slides.pptx: unsupported file type" in body
    shot(browser, "run-digest-failures")

    click_text(browser, "Progress", "a")
    failed = wait_for(browser, "[data-testid=progress-table] tr[data-state=failed]")
    assert "ingest · broken.pdf" in failed.text and "failed" in failed.text
    reason = failed.find_element(By.CSS_SELECTOR, "[data-testid=failure-reason]")
    reason_text = reason.text
    assert reason_text and "see its log" not in reason_text
    red, green, _ = browser.execute_script(RGB_OF_TEXT, reason)
    assert red > 150 and green < 100, (red, green)  # drawn red
    assert "1 / 1" not in failed.text or "done" not in failed.text
    batch = wait_for(browser, "[data-testid=batch-progress]", "2 of 2 documents done")
    assert "1 failed" in batch.text
    wait_for(browser, "[data-testid=progress-table]", "ingest · field-note.txt")
    shot(browser, "run-progress-failures")

    click_text(browser, "Metrics", "a")
    steps = wait_for(browser, "[data-testid=steps-table]", "ingest · broken.pdf")
    assert "ingest · field-note.txt" in steps.text and "[0]" not in steps.text
    assert steps.find_element(By.CSS_SELECTOR, "[data-testid=failure-reason]").text == reason_text
    shot(browser, "run-metrics-failures")

    browser.get(run_url(base, batch_runs["all_failed"]))
    click_text(browser, "Progress", "a")
    failed = wait_for(browser, "[data-testid=progress-table] tr[data-state=failed]", "only.pdf")
    assert "No task of this run" not in browser.find_element(By.TAG_NAME, "body").text
    wait_for(browser, "[data-testid=progress-live]", "failed")
    shot(browser, "run-progress-all-failed")
    click_text(browser, "Digest", "a")  # the digest ran all the same and lists the file
    frame = wait_for(browser, "[data-testid=digest-frame]")
    browser.switch_to.frame(frame)
    body = browser.find_element(By.TAG_NAME, "body").text
    browser.switch_to.default_content()
    assert "Could not be read" in body and "only.pdf: " in body, body
    shot(browser, "run-digest-all-failed")


def test_task_instance_tabs_and_the_open_digest_link(
    browser: Any, api_server: tuple[str, str], progress_run: Any
) -> None:

    base, _ = api_server
    log_in(browser, base)
    browser.get(run_url(base, progress_run, "/tasks/digest"))
    click_text(browser, "Details", "a")  # where Airflow shows a task's extra links
    link = wait_for(browser, "a", "Open digest")
    shot(browser, "task-extra-link")
    assert link.get_attribute("href").endswith("/tasks/digest/plugin/bluelabel-task-digest")
    link_url = link.get_attribute("href")
    browser.get(link_url)
    frame = wait_for(browser, "[data-testid=digest-frame]")
    assert frame.is_displayed()
    shot(browser, "task-digest")

    browser.get(run_url(base, progress_run, "/tasks/count_pages"))
    click_text(browser, "Progress", "a")
    progress = wait_for(browser, "[data-testid=progress-table]", "count_pages")
    assert "ingest" not in progress.text  # only this task
    click_text(browser, "Metrics", "a")
    metrics = wait_for(browser, "[data-testid=steps-table]", "count_pages")
    assert "digest" not in metrics.text
    shot(browser, "task-metrics")


def test_dark_mode_uses_airflows_theme(
    browser: Any, api_server: tuple[str, str], recorded_runs: str
) -> None:
    base, _ = api_server
    log_in(browser, base)
    browser.execute_script("localStorage.setItem('theme', 'dark')")
    browser.get(f"{base}/plugin/bluelabel-metrics")
    wait_for(browser, "[data-testid=workflows-table]", RECORDED_RUNS_DISPLAY_NAME)
    assert "dark" in browser.execute_script("return document.documentElement.className")
    background = browser.execute_script(
        "return getComputedStyle(document.querySelector('[data-testid=metrics-overview]')"
        ".closest('main') || document.body).backgroundColor"
    )
    shot(browser, "metrics-overview-dark")
    assert background != "rgb(255, 255, 255)"
    browser.execute_script("localStorage.removeItem('theme')")
