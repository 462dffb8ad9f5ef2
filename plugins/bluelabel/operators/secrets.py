"""Secret options (a PDF password) read from where Airflow keeps secrets, never from a run's input.

``dag_run.conf`` is stored in clear in the metadata database and shown in the UI and the REST
API, and a workflow file is shown on the DAG's page: neither may hold a password. A run names
where the secret is instead: ``<option>_conn_id`` (an Airflow connection: its password) or
``<option>_variable`` (an Airflow variable: its value). The value is registered with Airflow's
secrets masker before the agent sees it, so it is shown as ``***`` in task logs.

Whoever may trigger a run chooses the name, so only names that start with
``[bluelabel] secret_prefix`` are read: a run cannot make the task read any other connection
or variable (and learn, from a PDF opening or not, what it holds).
"""

from __future__ import annotations

from bluelabel.agents.inputs import AgentInput
from bluelabel.agents.options import StepOptions, option_info
from bluelabel.config import Settings
from bluelabel.errors import AgentInputError


def secret_sources(name: str) -> tuple[str, str]:
    """The options that name where secret option ``name`` is kept."""
    return f"{name}_conn_id", f"{name}_variable"


def _read(kind: str, ref: str, name: str) -> str:
    from airflow.sdk import Connection, Variable
    from airflow.sdk.exceptions import AirflowException, AirflowRuntimeError

    try:
        value = Connection.get(ref).password if kind == "conn_id" else Variable.get(ref)
    except (AirflowException, AirflowRuntimeError) as exc:  # not found, access denied
        what = "connection" if kind == "conn_id" else "variable"
        raise AgentInputError(
            f"{name}_{kind} = {ref!r}: no Airflow {what} of that name ({type(exc).__name__}); "
            f"create it (Admin > {what.capitalize()}s) or correct the name"
        ) from None
    if not value:
        raise AgentInputError(
            f"{name}_{kind} = {ref!r}: the Airflow "
            f"{'connection has no password' if kind == 'conn_id' else 'variable is empty'}"
        )
    return str(value)


def resolve_secrets(
    request: AgentInput, options: type[StepOptions] | None, settings: Settings
) -> AgentInput:
    """``request`` with each secret option read from the connection or variable it names
    (and masked in logs); :class:`AgentInputError` for a name outside the prefix."""
    if options is None:
        return request
    config = dict(request.config)
    changed = False
    for name, field in options.model_fields.items():
        if not option_info(field).secret:
            continue
        by_conn, by_variable = (config.pop(key, None) for key in secret_sources(name))
        changed = changed or by_conn is not None or by_variable is not None
        refs = [
            (kind, ref) for kind, ref in (("conn_id", by_conn), ("variable", by_variable)) if ref
        ]
        if not refs:
            continue
        if len(refs) > 1:
            raise AgentInputError(f"set one of {name}_conn_id and {name}_variable, not both")
        [(kind, ref)] = refs
        prefix = settings.secret_prefix
        if not isinstance(ref, str) or not prefix or not ref.startswith(prefix):
            raise AgentInputError(
                f"{name}_{kind} = {str(ref)[:100]!r} is refused: a run may read only "
                f"connections and variables whose id starts with [bluelabel] secret_prefix "
                f"({prefix!r})"
            )
        value = _read(kind, ref, name)
        from airflow.sdk.log import mask_secret

        mask_secret(value)
        config[name] = value
    if not changed:
        return request
    return AgentInput(
        task_id=request.task_id,
        task_type=request.task_type,
        source=request.source,
        content=request.content,
        metadata=request.metadata,
        context=request.context,
        config=config,
    )
