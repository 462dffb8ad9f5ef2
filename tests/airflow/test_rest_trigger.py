"""Triggering the shipped workflows the way users do: the trigger form's Params as the REST API
describes them, and runs started with a token through ``POST /api/v2/dags/{id}/dagRuns``
against a running Airflow (API server + scheduler + DAG processor, LocalExecutor)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.airflow_api import Api, wait_for_dags
from devtools.samples import build_pdf, fill_inbox, sample_pages
from devtools.waiting import wait_until
from tests.airflow.conftest import ARTIFACTS, log_in
from tests.conftest import AIRFLOW_HOME


@pytest.fixture(scope="module")
def airflow_running(api_server: tuple[str, str]) -> Iterator[Api]:
    """The session's API server plus a scheduler and a DAG processor for this module."""
    base, token = api_server
    (AIRFLOW_HOME / "bluelabel" / "inbox").mkdir(parents=True, exist_ok=True)  # default inbox
    env = {**os.environ, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/"}
    airflow = str(Path(sys.executable).parent / "airflow")
    processes = []
    for name, args in (
        ("scheduler", ["scheduler", "--skip-serve-logs"]),
        ("dag-processor", ["dag-processor"]),
    ):
        log = (AIRFLOW_HOME / f"{name}.log").open("w")
        processes.append(
            (subprocess.Popen([airflow, *args], env=env, stdout=log, stderr=subprocess.STDOUT), log)
        )
    api = Api.with_token(base, token)
    try:
        shipped = ["batch_ingestion", "pdf_ingestion_digest", "periodic_digest"]
        wait_for_dags(api, [*shipped, "url_ingestion_digest"], unpause=False)
        yield api
    finally:
        for process, _ in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def wait_for_run(api: Api, dag_id: str, run_id: str) -> dict[str, Any]:
    return api.wait_for_run(
        dag_id,
        run_id,
        details=lambda: (AIRFLOW_HOME / "scheduler.log").read_text()[-3000:],
    )


def trigger(api: Api, dag_id: str, conf: dict[str, Any]) -> dict[str, Any]:
    api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    return wait_for_run(api, dag_id, api.trigger(dag_id, conf))


def test_trigger_form_params_are_described_by_the_api(airflow_running: Api) -> None:
    details = airflow_running.call("GET", "/api/v2/dags/pdf_ingestion_digest/details")
    params = details["params"]
    assert params["source"]["schema"]["type"] == "string"
    assert params["source"]["schema"]["title"] == "PDF file"
    assert params["format"]["value"] == "markdown"
    assert params["format"]["schema"]["enum"] == ["markdown", "html", "json"]
    # a password is named (a connection or a variable), never typed into stored conf
    assert "password" not in params and params["password_conn_id"]["value"] is None
    batch = airflow_running.call("GET", "/api/v2/dags/batch_ingestion/details")["params"]
    assert batch["max_files"]["schema"]["type"] == "integer"
    assert batch["max_files"]["schema"]["minimum"] == 1 and batch["max_files"]["value"] == 500
    assert batch["max_files"]["schema"]["maximum"] == 1024  # [core] max_map_length
    assert batch["settle_seconds"]["value"] == 10


def test_pdf_workflow_triggered_through_the_rest_api(airflow_running: Api) -> None:
    pdf = AIRFLOW_HOME / "inbox" / "rest-trigger.pdf"
    pdf.parent.mkdir(exist_ok=True)
    pdf.write_bytes(build_pdf(sample_pages(2), metadata={"Title": "Triggered through REST"}))
    run = trigger(airflow_running, "pdf_ingestion_digest", {"source": str(pdf), "format": "html"})
    assert run["state"] == "success", run
    value = airflow_running.result("pdf_ingestion_digest", run["dag_run_id"], "digest")
    assert value["format"] == "html" and "Triggered through REST" in value["digest"]


def test_batch_workflow_maps_under_the_scheduler_and_its_asset_runs_the_periodic_digest(
    airflow_running: Api,
) -> None:
    folder = AIRFLOW_HOME / "inbox" / "rest-batch"
    shutil.rmtree(folder, ignore_errors=True)
    good, broken = fill_inbox(folder, 3, corrupt=1, batch="rest")
    airflow_running.call("PATCH", "/api/v2/dags/periodic_digest", {"is_paused": False})
    run = trigger(airflow_running, "batch_ingestion", {"inbox": str(folder), "settle_seconds": 0})
    assert run["state"] == "success", run
    tis = airflow_running.call(
        "GET",
        f"/api/v2/dags/batch_ingestion/dagRuns/{run['dag_run_id']}/taskInstances?task_id=ingest",
    )["task_instances"]
    states = {ti["rendered_map_index"].rsplit("/", 1)[-1]: ti["state"] for ti in tis}
    assert states == {**{n: "success" for n in good}, broken[0]: "failed"}
    assert sorted(p.name for p in (folder / "processed").iterdir()) == sorted(good)
    assert (folder / "quarantine" / f"{broken[0]}.reason.txt").exists()

    # The batch digest updated bluelabel://knowledge-store; the scheduler runs the digest
    # scheduled on that asset, which publishes to the outbox.
    asset_runs = wait_until(
        lambda: [
            r for r in airflow_running.runs("periodic_digest") if r["run_type"] == "asset_triggered"
        ],
        timeout=120,
        interval=2,
        what="the asset triggered periodic_digest",
    )
    digest_run = wait_for_run(airflow_running, "periodic_digest", asset_runs[0]["dag_run_id"])
    assert digest_run["state"] == "success", digest_run
    value = airflow_running.result("periodic_digest", digest_run["dag_run_id"], "periodic_digest")
    markdown = Path(value["paths"]["markdown"])
    assert markdown.parent == AIRFLOW_HOME / "bluelabel" / "outbox"
    assert "Batch document 0" in markdown.read_text()
    assert "batch_ingestion" in {w["dag_id"] for w in value["workflows"]}


def test_pdf_workflow_triggered_from_the_ui_form(airflow_running: Api, browser) -> None:  # type: ignore[no-untyped-def]
    """The trigger form renders the workflow's Params; filling it in starts a run that
    succeeds. Screenshots of the form are kept in test-artifacts/."""
    from selenium.webdriver.common.by import By

    pdf = AIRFLOW_HOME / "inbox" / "ui-trigger.pdf"
    pdf.write_bytes(build_pdf(sample_pages(2), metadata={"Title": "Triggered from the form"}))
    log_in(browser, airflow_running.base)
    browser.get(f"{airflow_running.base}/dags/pdf_ingestion_digest")
    browser.find_element(By.XPATH, "//button[normalize-space(.)='Trigger']").click()
    browser.find_element(By.XPATH, "//*[contains(normalize-space(.), 'Run Parameters')]")
    assert browser.find_element(By.NAME, "element_source").is_displayed()
    for label in ("PDF file", "Digest format", "PDF password: Airflow connection"):
        browser.find_element(By.XPATH, f"//label[contains(normalize-space(.), '{label}')]")
    assert browser.find_element(By.NAME, "element_format").get_attribute("value") == "markdown"
    source = browser.find_element(By.NAME, "element_source")
    for char in str(pdf):  # one key at a time: the form re-renders (validates) on each input
        source.send_keys(char)
    assert source.get_attribute("value") == str(pdf)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "trigger-form.png"))
    before = {r["dag_run_id"] for r in airflow_running.runs("pdf_ingestion_digest")}
    browser.find_elements(By.XPATH, "//button[normalize-space(.)='Trigger']")[-1].click()

    [run] = wait_until(
        lambda: [
            r for r in airflow_running.runs("pdf_ingestion_digest") if r["dag_run_id"] not in before
        ],
        timeout=60,
        interval=1,
        what="the form started a run",
    )
    assert run["triggered_by"] == "ui" and run["conf"]["source"] == str(pdf)
    finished = wait_for_run(airflow_running, "pdf_ingestion_digest", run["dag_run_id"])
    assert finished["state"] == "success", finished
