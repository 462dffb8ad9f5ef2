"""The Airflow-free settings reader (bluelabel.cfgfile) gives Airflow's own answers.

Each case is an airflow.cfg and an environment; for every ``[bluelabel]`` key and the
``[core]`` keys Bluelabel obeys, the value Airflow's parser (``AirflowConfigParser``, the class
of ``airflow.configuration.conf``) returns must be the value the reader returns, or the
declared default when the reader finds none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bluelabel.cfgfile import AirflowConfig, ConfigFileError
from bluelabel.config import SettingsError, load_settings
from bluelabel.config_keys import HOME_PLACEHOLDER, SETTINGS

CORE_KEYS = ("max_map_length", "dags_folder")

#: name -> (airflow.cfg text, environment)
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "no file values": ("", {}),
    "file values": (
        "[bluelabel]\nmax_pages = 77\nstore = ~/somewhere/store\npdf_backend = pypdf\n"
        "[core]\nmax_map_length = 64\ndags_folder = /opt/dags\n",
        {},
    ),
    "env over file": (
        "[bluelabel]\nmax_pages = 77\n",
        {"AIRFLOW__BLUELABEL__MAX_PAGES": "5", "AIRFLOW__CORE__MAX_MAP_LENGTH": "9"},
    ),
    "empty env value": (
        "[bluelabel]\nocr_languages = deu\n",
        {"AIRFLOW__BLUELABEL__OCR_LANGUAGES": ""},
    ),
    "variables and ~ expanded, nested": (
        "[bluelabel]\ninbox = $CASE_ROOT/inbox\noutbox = ~/outbox\n",
        {
            "CASE_ROOT": "$CASE_BASE/root",
            "CASE_BASE": "/data",
            "AIRFLOW__BLUELABEL__STORE": "${CASE_ROOT}/store",
        },
    ),
    "percent interpolation": (
        "[bluelabel]\nstore = /data/store\noutbox = %(store)s/out\nsecret_prefix = pdf_%%_\n",
        {},
    ),
    "_CMD and _SECRET of a key that is not sensitive are ignored": (
        "[bluelabel]\ninbox_cmd = echo /from/command\nmax_pages_secret = pages\n",
        {
            "AIRFLOW__BLUELABEL__STORE_CMD": "echo /from/command",
            "AIRFLOW__BLUELABEL__OUTBOX_SECRET": "outbox",
        },
    ),
    "upper-case key, DEFAULT section, continuation line": (
        "[DEFAULT]\nmax_redirects = 9\n[bluelabel]\nMAX_PAGES = 12\n"
        "allowed_roots = /data/a:\n  /data/b\n",
        {},
    ),
    "a section Airflow does not look at": ("[BLUELABEL]\nmax_pages = 3\n", {}),
    "values with spaces and comments kept as written": (
        "[bluelabel]\n# a comment\nmax_pages = 5 # five\nocr_languages =  eng+deu  \n",
        {},
    ),
}


def _default(key: str, section: str, home: str) -> str | None:
    if section != "bluelabel":
        return None  # Airflow's own defaults: compared only when the case sets the key
    spec = next(s for s in SETTINGS if s.key == key)
    return spec.default.replace(HOME_PLACEHOLDER, home)


@pytest.mark.parametrize("case", list(CASES))
def test_the_reader_agrees_with_airflows_parser(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow import configuration

    text, env = CASES[case]
    cfg = tmp_path / "airflow.cfg"
    cfg.write_text(text, encoding="utf-8")
    for name in list(os.environ):
        if name.startswith(("AIRFLOW__BLUELABEL__", "AIRFLOW__CORE__")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AIRFLOW_CONFIG", str(cfg))
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    parser = configuration.AirflowConfigParser()
    parser.read(str(cfg))
    reader = AirflowConfig()
    assert reader.path == cfg
    keys = [("bluelabel", s.key) for s in SETTINGS] + [("core", k) for k in CORE_KEYS]
    compared = 0
    for section, key in keys:
        found = reader.get(section, key)
        ours = found.value if found else _default(key, section, configuration.AIRFLOW_HOME)
        if ours is None:
            continue
        theirs = parser.get(section, key, fallback=None)
        assert ours == theirs, (case, section, key, found)
        compared += 1
    assert compared >= len(SETTINGS)


@pytest.mark.slow  # over 10 s: make test only
def test_sensitive_options_run_commands_and_ask_the_secrets_backend_like_airflow(
    tmp_path: Path,
) -> None:
    """Airflow reads ``_CMD``/``_SECRET`` only for sensitive options (none of [bluelabel]
    is): the reader does the same, with Airflow's own ``[database] sql_alchemy_conn``."""
    configs = tmp_path / "configs.json"
    configs.write_text(json.dumps({"conn-in-backend": "sqlite:////from/backend.db"}))
    cfg = tmp_path / "airflow.cfg"
    script = """
import json, sys
from airflow.configuration import conf
from bluelabel import airflow_ports
from bluelabel.cfgfile import AirflowConfig
reader = AirflowConfig(secret=airflow_ports.config_secret)
found = reader.get("database", "sql_alchemy_conn", sensitive=True)
print(json.dumps([conf.get("database", "sql_alchemy_conn"), found.value, found.source]))
"""
    base = {k: v for k, v in os.environ.items() if k != "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"} | {
        "AIRFLOW_CONFIG": str(cfg),
        "AIRFLOW__SECRETS__BACKEND": "airflow.secrets.local_filesystem.LocalFilesystemBackend",
        "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps({"configs_file_path": str(configs)}),
    }
    cases = [
        ("", {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": "echo sqlite:////from/env-cmd.db"}),
        ("", {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_SECRET": "conn-in-backend"}),
        ("[database]\nsql_alchemy_conn_cmd = printf sqlite:////from/file-cmd.db\n", {}),
        ("[database]\nsql_alchemy_conn_secret = conn-in-backend\n", {}),
    ]
    for text, env in cases:
        cfg.write_text(text, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=base | env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        airflows, ours, source = json.loads(done.stdout.splitlines()[-1])
        assert ours == airflows and airflows.startswith("sqlite:////from/"), (text, env)
        assert ("_cmd" in source.lower()) == ("cmd" in (text + str(env)).lower())


def test_a_broken_airflow_cfg_is_one_line_naming_the_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "airflow.cfg").write_text("[bluelabel]\nmax_pages = 1\nmax_pages = 2\n")
    with pytest.raises(ConfigFileError, match=r"cannot read .*airflow.cfg: .*max_pages"):
        AirflowConfig({"AIRFLOW_HOME": str(home)})
    with pytest.raises(SettingsError, match=r"airflow.cfg") as caught:
        load_settings({"AIRFLOW_HOME": str(home)})
    assert "\n" not in str(caught.value)
    (home / "airflow.cfg").write_text("[bluelabel]\nstore = 100%\n")
    with pytest.raises(SettingsError, match=r"airflow.cfg: \[bluelabel\] store: "):
        load_settings({"AIRFLOW_HOME": str(home)})
