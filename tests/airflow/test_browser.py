"""Headless Chromium logs in to the Airflow UI, opens the plugin page from the navigation,
and finds the runs the tests recorded. The screenshot is kept in test-artifacts/."""

from __future__ import annotations

import time

import pytest

from tests.airflow.conftest import ARTIFACTS, log_in

pytestmark = [pytest.mark.usefixtures("airflow_db")]


def test_login_open_the_page_from_the_navigation_and_see_the_runs(
    browser, api_server: tuple[str, str], recorded_runs: str
) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    base, _ = api_server
    log_in(browser, base)

    browser.find_element(By.XPATH, "//button[normalize-space(.)='Browse']").click()
    browser.find_element(By.XPATH, "//*[normalize-space(text())='Bluelabel metrics']").click()
    WebDriverWait(browser, 30).until(expected_conditions.number_of_windows_to_be(2))
    browser.switch_to.window(browser.window_handles[-1])
    assert browser.current_url.startswith(f"{base}/bluelabel/")

    table = browser.find_element(By.ID, "workflows")
    row = table.find_element(By.XPATH, f".//tr[td/a[text()='{recorded_runs}']]")
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == "2" and cells[2] == "100%"  # the two runs the fixture made
    steps = browser.find_element(By.CSS_SELECTOR, f"table.steps[data-dag='{recorded_runs}']")
    assert {"plain", "ingest", "digest"} <= {
        r.text.split()[0] for r in steps.find_elements(By.TAG_NAME, "tr")[1:]
    }
    ARTIFACTS.mkdir(exist_ok=True)
    time.sleep(0.5)  # let the charts paint before the screenshot
    assert browser.save_screenshot(str(ARTIFACTS / "bluelabel-metrics-page.png"))
    assert (ARTIFACTS / "bluelabel-metrics-page.png").stat().st_size > 10_000
