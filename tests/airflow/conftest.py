from __future__ import annotations

from pathlib import Path

import pytest

from bluelabel.samples import build_pdf, sample_pages


@pytest.fixture(scope="session")
def inbox(airflow_db: Path) -> Path:
    """The allowed folder run-time file paths may point into (``[bluelabel] allowed_roots``)."""
    folder = airflow_db / "inbox"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def sample_pdf(inbox: Path) -> Path:
    path = inbox / "airflow-notes.pdf"
    path.write_bytes(
        build_pdf(sample_pages(6), metadata={"Title": "Notes on Airflow", "Author": "Test"})
    )
    return path


def xcom(dag_run: object, task_id: str, key: str = "return_value") -> object:
    """Read an XCom of a finished run from the metadata DB."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(
                run_id=dag_run.run_id,
                dag_ids=dag_run.dag_id,
                task_ids=task_id,
                key=key,  # type: ignore[attr-defined]
            )
        ).first()
        return None if row is None else XComModel.deserialize_value(row)


def task_states(dag_run: object) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.task_id, TaskInstance.state).where(
                TaskInstance.run_id == dag_run.run_id,  # type: ignore[attr-defined]
                TaskInstance.dag_id == dag_run.dag_id,
            )
        )  # type: ignore[attr-defined]
        return {task_id: str(state) for task_id, state in rows}
