"""docker/ as far as it can be checked without a Docker engine (there is none here): the
compose file against the Compose Specification's JSON Schema, every Airflow setting name
against Airflow's config reference, one configuration shared with ``make cluster``, a
healthcheck and a restart policy on every service, volumes on folders the image creates.

``compose-spec.json`` is vendored from github.com/compose-spec/compose-spec
(``schema/compose-spec.json`` at 170098ba07d9f53c383a41bfd4c5166b0a4529a6, June 2026;
Apache-2.0, see compose-spec.LICENSE and compose-spec.NOTICE beside it).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bluelabel.config_keys import SETTINGS
from devtools.cluster import SHARED_CONFIG, read_env_file
from tests.conftest import REPO

DOCKER = REPO / "docker"
COMPOSE = DOCKER / "docker-compose.yaml"
#: The [bluelabel] options compose sets; the rest are Airflow's or its providers'.
BLUELABEL_OPTIONS = {
    "store", "workflow_root", "allowed_roots", "allow_private_urls", "workflow_cache",
    "inbox", "outbox",
}  # fmt: skip


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # resolves <<: merges
    return data


def airflow_options() -> set[tuple[str, str]]:
    """(section, option) of Airflow's config reference and of the installed providers'."""
    import airflow.config_templates

    reference = yaml.safe_load(
        (Path(airflow.config_templates.__file__).parent / "config.yml").read_text()
    )
    options = {(s, o) for s, body in reference.items() for o in body["options"]}
    for entry in importlib.metadata.entry_points(group="apache_airflow_provider"):
        info = entry.load()()
        for section, body in (info.get("config") or {}).items():
            options |= {(section, o) for o in body["options"]}
    return options


def setting_names(environment: dict[str, Any]) -> set[str]:
    return {name for name in environment if name.startswith("AIRFLOW__")}


def test_the_compose_file_is_valid_against_the_compose_specification(
    compose: dict[str, Any],
) -> None:
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
    jsonschema.validate(compose, schema, cls=jsonschema.Draft7Validator)


def test_every_airflow_setting_name_is_in_airflows_config_reference(
    compose: dict[str, Any],
) -> None:
    names = set(read_env_file(SHARED_CONFIG))
    for service in compose["services"].values():
        names |= setting_names(service.get("environment") or {})
    assert len(names) > 20
    known = airflow_options()
    unknown = []
    for name in sorted(names):
        _, section, option = name.lower().split("__", 2)
        if section == "bluelabel":
            assert option in BLUELABEL_OPTIONS, name
        elif (section, option) not in known:
            unknown.append(name)
    assert unknown == []
    assert {s.key for s in SETTINGS} >= BLUELABEL_OPTIONS  # declared in config_keys.py


def test_compose_and_make_cluster_share_one_configuration(compose: dict[str, Any]) -> None:
    """Every Airflow service reads airflow.env and overrides none of its settings."""
    shared = set(read_env_file(SHARED_CONFIG))
    assert {
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT",
    } <= shared
    airflow_services = {n: s for n, s in compose["services"].items() if n.startswith("airflow-")}
    assert len(airflow_services) == 6
    for name, service in airflow_services.items():
        assert service["env_file"] == ["airflow.env"], name
        assert (DOCKER / service["env_file"][0]) == SHARED_CONFIG
        assert setting_names(service["environment"]) & shared == set(), name
    # the result backend names its driver (SQLAlchemy 2.1 maps postgresql:// to psycopg 3)
    env = airflow_services["airflow-worker"]["environment"]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")


def test_every_service_has_a_healthcheck_and_a_restart_policy(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name == "airflow-init":  # a job: it exits when done, the others wait for that
            assert service["restart"].startswith("on-failure") and service["healthcheck"] == {
                "disable": True
            }
            continue
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name


def test_secrets_and_credentials_come_from_the_environment(compose: dict[str, Any]) -> None:
    env = compose["x-airflow-common"]["environment"]
    for name in (
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
    ):
        assert re.fullmatch(r"\$\{AIRFLOW_[A-Z_]+:\?[^}]+\}", env[name]), name
    assert compose["secrets"]["admin_password"] == {"environment": "AIRFLOW_ADMIN_PASSWORD"}
    init = compose["services"]["airflow-init"]
    assert init["secrets"] == ["admin_password"]
    assert "/run/secrets/admin_password" in init["command"][-1]
    assert "users create" in init["command"][-1]
    shared = read_env_file(SHARED_CONFIG)
    assert shared["AIRFLOW__CORE__AUTH_MANAGER"].endswith("FabAuthManager")  # not dev-only


def test_ports_are_published_on_loopback_and_log_servers_are_off(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), name
    for name in ("airflow-scheduler", "airflow-triggerer", "airflow-worker"):
        assert "--skip-serve-logs" in compose["services"][name]["command"], name


def test_the_image_creates_every_mounted_folder_for_the_airflow_user(
    compose: dict[str, Any],
) -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text()
    created = set(re.findall(r"(/opt/airflow/[\w/-]+)", dockerfile.split("USER root", 1)[1]))
    mounted = {v.split(":")[1] for v in compose["x-airflow-common"]["volumes"]}
    assert mounted <= created
    env = compose["x-airflow-common"]["environment"]
    assert env["AIRFLOW__BLUELABEL__INBOX"] in created  # the batch inbox exists from the start
    assert "chown -R 50000:0" in dockerfile
