"""What a run's trigger input (dag_run.conf over the params) may set: the input, the DAG's
params and the agent's per-run options; never a limit."""

from __future__ import annotations

import pytest

from bluelabel.agents.digest import DigestOptions
from bluelabel.agents.ingest.agent import IngestOptions
from bluelabel.errors import AgentInputError
from bluelabel.operators.trigger import trigger_input


def test_short_form_and_original_shape() -> None:
    assert trigger_input(
        {"source": "/in/a.pdf", "format": "html"}, None, options=DigestOptions
    ) == {
        "source": "trigger",
        "content": {"file_path": "/in/a.pdf"},
        "config": {"format": "html"},
    }
    url = trigger_input({"format": "md"}, {"source": "https://x.org/a"}, options=IngestOptions)
    assert url["content"] == {"url": "https://x.org/a"} and url["config"] == {}
    assert trigger_input({}, {"text": "inline"}, options=IngestOptions)["content"] == {
        "text": "inline"
    }
    original = {"task_type": "url", "content": {"url": "https://x.org"}, "source": "cli"}
    assert trigger_input({"format": "json"}, original, options=DigestOptions) == {
        **original,
        "config": {"format": "json"},
    }


@pytest.mark.parametrize("key", ["workers", "max_bytes", "max_pages", "timeout", "total_timeout"])
def test_conf_cannot_lift_a_limit(key: str) -> None:
    with pytest.raises(AgentInputError, match=f"dag_run.conf sets '{key}', which a run may not"):
        trigger_input({"source": None}, {"source": "/in/a.pdf", key: 1000}, options=IngestOptions)


def test_conf_may_set_per_run_options_and_declared_params() -> None:
    request = trigger_input(
        {"source": None, "workers": 2},  # a workflow that declares workers as a param
        {"source": "/in/a.pdf", "password_conn_id": "bluelabel_pdf_a", "workers": 3},
        options=IngestOptions,
    )
    assert request["config"] == {"password_conn_id": "bluelabel_pdf_a", "workers": 3}


def test_conf_cannot_set_a_secret() -> None:
    """dag_run.conf is stored in clear: a password is named by connection or variable."""
    with pytest.raises(AgentInputError, match="'password', which a run may not set"):
        trigger_input({}, {"source": "/in/a.pdf", "password": "s3cret"}, options=IngestOptions)


def test_conf_keys_in_the_tasks_params_are_not_declared_params() -> None:
    """Airflow merges conf into a task's params: only the DAG's own params are declared."""
    conf = {"source": "/in/a.pdf", "password": "s3cret", "workers": 1000}
    with pytest.raises(AgentInputError, match="'password', 'workers'"):
        trigger_input(
            {"source": None, **conf}, conf, options=IngestOptions, declared=frozenset({"source"})
        )


def test_conf_cannot_reach_internal_keys() -> None:
    with pytest.raises(AgentInputError, match="'context'"):
        trigger_input(
            {}, {"context": {"inbox": "/etc", "inbox_file": "shadow"}}, options=IngestOptions
        )
    with pytest.raises(AgentInputError, match="content sets 'inbox_file'"):
        trigger_input({}, {"content": {"inbox_file": "shadow"}}, options=IngestOptions)
