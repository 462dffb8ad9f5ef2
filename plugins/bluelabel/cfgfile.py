"""Airflow's configuration read the way Airflow reads it, without importing Airflow.

Importing Airflow costs seconds of CPU (its settings, providers and logging), so a command
that only reads settings (``bluelabel validate``, ``config``) reads them here instead. This is
the lookup of Airflow's ``conf.get(section, key)`` (``airflow/_shared/configuration/parser.py``,
Airflow 3.2 and 3.3), in its order:

1. ``AIRFLOW__SECTION__KEY`` in the environment (``$VARS`` and ``~`` expanded); for a
   *sensitive* option only, then ``AIRFLOW__SECTION__KEY_CMD`` (a command's output) and
   ``AIRFLOW__SECTION__KEY_SECRET`` (a path in the secrets backend). Airflow ignores ``_CMD``
   and ``_SECRET`` for any other option, and so does this;
2. ``key`` in ``$AIRFLOW_CONFIG`` (default ``$AIRFLOW_HOME/airflow.cfg``; ``AIRFLOW_HOME``
   defaults to ``~/airflow``): an INI file read by Python's ``ConfigParser``, ``%``
   interpolation included, option names case-sensitive (lower case), expanded too;
3. for a sensitive option, ``key_cmd`` then ``key_secret`` in that file;
4. nothing: the caller takes the declared default.

A value that only Airflow's secrets backend has is fetched through ``secret`` (the Airflow layer
plugs one in, importing Airflow then and only then). Not reproduced: ``[core]
unit_test_mode`` (Airflow's own test configuration), team-scoped options and deprecated
option names (none of them concerns ``[bluelabel]``).
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping
from configparser import ConfigParser
from configparser import Error as ConfigParserError
from dataclasses import dataclass
from pathlib import Path

from bluelabel.errors import BluelabelError

ENV_PREFIX = "AIRFLOW__"
#: Bound on a ``_CMD`` command (Airflow waits for ever; a settings read must not).
COMMAND_TIMEOUT = 60.0


class ConfigFileError(BluelabelError):
    """airflow.cfg cannot be parsed, a ``_CMD`` command failed, or a secret is unreachable."""


def expand(value: str) -> str:
    """``$VARS`` and ``~`` expanded until nothing changes (Airflow's ``expand_env_var``)."""
    while True:
        expanded = os.path.expanduser(os.path.expandvars(value))
        if expanded == value:
            return expanded
        value = expanded


def env_name(section: str, key: str) -> str:
    """``AIRFLOW__BLUELABEL__MAX_PAGES`` for ``[bluelabel] max_pages``."""
    return f"{ENV_PREFIX}{section.replace('.', '_').upper()}__{key.upper()}"


def home_path(environ: Mapping[str, str]) -> Path:
    """The Airflow home as Airflow names it: ``$AIRFLOW_HOME``, else ``~/airflow``."""
    return Path(expand(environ.get("AIRFLOW_HOME", "~/airflow")))


def config_path(home: Path, environ: Mapping[str, str]) -> Path:
    """``$AIRFLOW_CONFIG``, else ``airflow.cfg`` in the Airflow home."""
    configured = environ.get("AIRFLOW_CONFIG")
    return Path(expand(configured)) if configured is not None else home / "airflow.cfg"


def run_command(command: str, what: str) -> str:
    """The standard output of ``command`` (split as a shell would, run without one)."""
    try:
        done = subprocess.run(
            shlex.split(command),
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise ConfigFileError(f"{what}: cannot run {command!r}: {exc}") from None
    if done.returncode != 0:
        raise ConfigFileError(f"{what}: {command!r} exited with {done.returncode}")
    return done.stdout.decode(errors="ignore")


@dataclass(frozen=True)
class Found:
    """A value and where it came from (``env AIRFLOW__...``, ``airflow.cfg (/path)``, ...)."""

    value: str
    source: str


class AirflowConfig:
    """One read of the environment and the configuration file, as one Airflow process sees
    them. The file is read once, here; a missing file is an empty one (Airflow would write its
    defaults into it; this never writes)."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        secret: Callable[[str], str | None] | None = None,
    ) -> None:
        self.environ = dict(os.environ if environ is None else environ)
        self.home = home_path(self.environ)
        self.path = config_path(self.home, self.environ)
        self._secret = secret
        # What Airflow's parser is: same syntax, same interpolation; and, as Airflow's, case
        # preserving (``MAX_PAGES = 5`` in the file is not ``max_pages``).
        self.parser = ConfigParser()
        self.parser.optionxform = str  # type: ignore[assignment,method-assign]
        try:
            self.parser.read(self.path, encoding="utf-8")
        except (ConfigParserError, UnicodeDecodeError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigFileError(f"cannot read {self.path}: {first}") from None

    def _file_value(self, section: str, key: str) -> str:
        try:
            return self.parser.get(section, key)
        except ConfigParserError as exc:
            first = str(exc).splitlines()[0]
            raise ConfigFileError(f"{self.path}: [{section}] {key}: {first}") from None

    def _from_secrets(self, path: str, what: str) -> str | None:
        if self._secret is None:
            raise ConfigFileError(f"{what} names a secret, and no secrets backend is reachable")
        return self._secret(path)

    def get(self, section: str, key: str, *, sensitive: bool = False) -> Found | None:
        """The configured value of ``[section] key``; None: not configured (the default)."""
        section, key = section.lower(), key.lower()
        env = env_name(section, key)
        if env in self.environ:
            return Found(expand(self.environ[env]), f"env {env}")
        if sensitive and f"{env}_CMD" in self.environ:
            return Found(run_command(self.environ[f"{env}_CMD"], f"{env}_CMD"), f"env {env}_CMD")
        if sensitive and f"{env}_SECRET" in self.environ:
            value = self._from_secrets(self.environ[f"{env}_SECRET"], f"{env}_SECRET")
            if value is not None:
                return Found(value, f"env {env}_SECRET (secrets backend)")
        where = f"airflow.cfg ({self.path})"
        if self.parser.has_option(section, key):
            return Found(expand(self._file_value(section, key)), where)
        if sensitive and self.parser.has_option(section, f"{key}_cmd"):
            what = f"{self.path}: [{section}] {key}_cmd"
            output = run_command(self._file_value(section, f"{key}_cmd"), what)
            if output:
                return Found(output, f"{where}, {key}_cmd")
        if sensitive and self.parser.has_option(section, f"{key}_secret"):
            what = f"{self.path}: [{section}] {key}_secret"
            value = self._from_secrets(self._file_value(section, f"{key}_secret"), what)
            if value:
                return Found(value, f"{where}, {key}_secret (secrets backend)")
        return None

    def ignored(self, section: str, key: str) -> list[str]:
        """``_CMD``/``_SECRET`` variants set for a non-sensitive option: Airflow ignores them."""
        env = env_name(section, key)
        names = [n for n in (f"{env}_CMD", f"{env}_SECRET") if n in self.environ]
        names += [
            f"[{section}] {key}{tail} in {self.path}"
            for tail in ("_cmd", "_secret")
            if self.parser.has_option(section, f"{key}{tail}")
        ]
        return names


__all__ = [
    "AirflowConfig",
    "ConfigFileError",
    "Found",
    "config_path",
    "env_name",
    "expand",
    "home_path",
]
