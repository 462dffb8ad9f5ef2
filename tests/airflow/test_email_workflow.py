"""The shipped email-ingestion workflow through Airflow (dag.test) against the session's real
IMAP server: the connection imap_default, the Params, the digest of what is new."""

from __future__ import annotations

import pytest

from devtools.mail_samples import latin1_message, report_message
from tests.airflow.conftest import task_states, xcom
from tests.conftest import REPO, run_dag
from tests.mailserver import ImapServer

pytestmark = pytest.mark.usefixtures("airflow_db")


def test_email_workflow_ingests_new_mail_and_digests_it(
    imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    for name, value in imap_server.connection_env("imap_default").items():
        monkeypatch.setenv(name, value)
    folder = imap_server.folder(
        "wf-inbox", [report_message(n, batch="wf") for n in range(3)] + [latin1_message()]
    )
    bag = DagBag(dag_folder=str(REPO / "dags" / "email_ingestion.py"))
    assert bag.import_errors == {}
    dag = bag.dags["email_ingestion"]
    assert set(dag.params) == {"folder", "search", "since", "format"}

    run = run_dag(dag, {"folder": folder, "since": "1d"})
    assert str(run.state) == "success", task_states(run)
    fetched = xcom(run, "fetch_mail")
    assert fetched["message_count"] == 4 and fetched["failed"] == []
    digest = xcom(run, "mail_digest")
    assert digest["summary_count"] == len(fetched["content_ids"]) == 4 * 3
    for n in range(3):
        assert f"Quarterly report wf{n}" in digest["digest"]
    assert imap_server.messages(folder, "UNSEEN") == []

    again = run_dag(dag, {"folder": folder})
    assert xcom(again, "fetch_mail")["message_count"] == 0
    assert task_states(again)["mail_digest"] == "skipped"  # nothing new
