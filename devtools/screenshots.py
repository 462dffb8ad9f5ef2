"""The screenshots of the README and the docs (``docs/images/``), taken from a real Airflow.

Usage: ``.venv/bin/python -m devtools.screenshots [--port N] [--out docs/images]``

Uses the project-local Airflow home of ``make demo`` (``airflow_home/``): runs the shipped PDF
workflow on the demo PDF and the batch workflow on a few of this repository's own docs pages,
starts an API server on 127.0.0.1 (no scheduler: the runs are made by ``airflow dags test``),
logs in with headless Chromium as a person would and saves each view (1400 x 1000). Needs
Debian's ``chromium`` and ``chromium-driver``; PNGs are written as Chromium draws them (shrink
them with any optimiser before committing).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from devtools import local
from devtools.samples import build_pdf, sample_pages
from devtools.waiting import free_port, wait_until

#: Pages of this repository's docs the batch workflow ingests (real text for the views).
DOC_PAGES = (
    "docs/concepts/store.md",
    "docs/concepts/summaries.md",
    "docs/how-to/permissions.md",
    "docs/threat-model.md",
    "docs/how-to/batch-inbox.md",
)
#: Resolves once the page's fonts are loaded and two frames have been drawn since.
SETTLED = """
const done = arguments[arguments.length - 1];
document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(done)));
"""


def make_runs() -> None:
    """One PDF run and one batch run in the local Airflow home."""
    local.prepare()
    pdf = local.INBOX / "airflow-notes.pdf"
    pdf.write_bytes(
        build_pdf(
            sample_pages(12),
            metadata={"Title": "Notes on Airflow and Bluelabel", "Author": "Bluelabel demo"},
        )
    )
    conf = json.dumps({"source": str(pdf), "format": "html"})
    local.airflow("dags", "test", "pdf_ingestion_digest", "--conf", conf, capture=True)
    for page in DOC_PAGES:
        shutil.copy(page, local.BATCH_INBOX / Path(page).name)
    conf = json.dumps({"settle_seconds": 0, "format": "html"})
    local.airflow("dags", "test", "batch_ingestion", "--conf", conf, capture=True)


def browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        sys.exit("devtools.screenshots: Debian's chromium and chromium-driver are needed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.implicitly_wait(30)
    chrome.set_script_timeout(10)
    return chrome


def wait_for(chrome: Any, css: str, text: str | None = None) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(driver: Any) -> Any:
        for element in driver.find_elements(By.CSS_SELECTOR, css):
            if text is None or text in element.text:
                return element
        return False

    return WebDriverWait(chrome, 60).until(found)


def click_text(chrome: Any, text: str, tag: str = "*") -> None:
    from selenium.webdriver.common.by import By

    chrome.find_elements(By.XPATH, f"//{tag}[normalize-space(.)={text!r}]")[-1].click()


def shot(chrome: Any, out: Path, name: str) -> None:
    chrome.execute_async_script(SETTLED)
    chrome.save_screenshot(str(out / f"{name}.png"))
    print(out / f"{name}.png")


def run_id(dag_id: str) -> str:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        run = session.query(DagRun).filter_by(dag_id=dag_id).order_by(DagRun.id.desc()).first()
        assert run is not None, dag_id
        return str(run.run_id)


def take(base: str, password: str, out: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    chrome = browser()
    try:
        chrome.get(f"{base}/")
        chrome.find_element(By.NAME, "username").send_keys("admin")
        chrome.find_element(By.NAME, "password").send_keys(password, Keys.ENTER)
        wait_until(lambda: "/auth/login" not in chrome.current_url, timeout=30, what="the login")

        chrome.get(f"{base}/plugin/knowledge-store")
        wait_for(chrome, "[data-testid=documents-table]", "Notes on Airflow")
        shot(chrome, out, "knowledge-store")

        chrome.find_element(By.LINK_TEXT, "Notes on Airflow and Bluelabel").click()
        wait_for(chrome, "[data-testid=document-page]", "Summary")
        shot(chrome, out, "knowledge-store-document")

        for dag_id, name in (("pdf_ingestion_digest", "run"), ("batch_ingestion", "batch-run")):
            chrome.get(f"{base}/dags/{dag_id}/runs/{quote(run_id(dag_id), safe='')}")
            click_text(chrome, "Metrics", "a")
            wait_for(chrome, "[data-testid=steps-table]", "ingest")
            shot(chrome, out, f"{name}-metrics")
            click_text(chrome, "Digest", "a")
            wait_for(chrome, "[data-testid=digest-frame]")
            shot(chrome, out, f"{name}-digest")
            if dag_id == "pdf_ingestion_digest":  # pages done; text ingests report none
                click_text(chrome, "Progress", "a")
                wait_for(chrome, "[data-testid=progress-table]", "pages")
                shot(chrome, out, f"{name}-progress")

        chrome.get(f"{base}/plugin/bluelabel-metrics")
        wait_for(chrome, "[data-testid=workflows-table]", "batch_ingestion")
        shot(chrome, out, "metrics-overview")
    finally:
        chrome.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="the API server's (default: free)")
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--skip-runs", action="store_true", help="reuse the runs made before")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    password = secrets.token_urlsafe(12)
    passwords = local.HOME / "screenshots-passwords.json"
    env = {
        **local.airflow_env(),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
    }
    os.environ.update(env)  # before Airflow is imported: its DB is the local home's
    if not args.skip_runs:
        make_runs()
    passwords.write_text(json.dumps({"admin": password}))
    airflow = str(Path(sys.executable).parent / "airflow")
    server = subprocess.Popen(
        [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        import urllib.request

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/version", timeout=5):
                    return True
            except OSError:
                return False

        wait_until(up, timeout=180, what="the API server")
        take(f"http://127.0.0.1:{port}", password, args.out)
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
