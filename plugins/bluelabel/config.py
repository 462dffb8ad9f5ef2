"""Bluelabel's settings: the ``[bluelabel]`` section of Airflow's configuration, read once, typed.

Every key is declared once in :data:`bluelabel.config_keys.SETTINGS` (type, default,
description). The declaration is published to Airflow as provider configuration
(:mod:`bluelabel.provider`), so ``airflow config list`` shows each key with its description
and default, and is what :func:`get_settings` reads, from exactly where Airflow would take it
for a task: ``AIRFLOW__BLUELABEL__<KEY>`` (``_CMD``/``_SECRET`` only for a sensitive key, as
Airflow), then ``airflow.cfg``, then the default. No other module reads the environment for
settings.

This module imports no Airflow. In an Airflow process (operators, DAG factory, plugin, API)
the values come from Airflow's own parser through a port (:mod:`bluelabel.ports`); in the CLI,
from :mod:`bluelabel.cfgfile`, which reads the environment and ``airflow.cfg`` the same way
without paying seconds for importing Airflow.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bluelabel.booleans import parse_bool
from bluelabel.cfgfile import AirflowConfig, ConfigFileError, Found, expand, home_path
from bluelabel.config_keys import (
    DEFAULT_MAX_MAP_LENGTH,
    HARD_MAX_WORKERS,
    HOME_PLACEHOLDER,
    SECTION,
    SETTINGS,
    Setting,
)
from bluelabel.errors import BluelabelError
from bluelabel.locations import Root, parse_roots
from bluelabel.ports import PORTS, port


class SettingsError(BluelabelError):
    """A ``[bluelabel]`` value cannot be used, or there is no Airflow home to read it from."""


@dataclass(frozen=True)
class Settings:
    """The effective ``[bluelabel]`` settings. ``sources`` says where each value came from."""

    airflow_home: Path
    store: str
    catalog_conn_id: str
    inbox: str
    outbox: str
    #: local folders (resolved) and roots configured as URLs (``s3://bucket/inbox``)
    allowed_roots: tuple[Root, ...]
    trigger_root: Path | None
    secret_prefix: str
    workflow_root: Path | None
    workflow_cache: Path | None
    max_workflow_bytes: int
    allow_private_urls: bool
    pdf_backend: str
    ingest_workers: int
    ingest_timeout: float
    ingest_memory_mb: int
    max_pdf_bytes: int
    max_pages: int
    max_text_bytes: int
    max_url_bytes: int
    url_timeout: float
    url_total_timeout: float
    max_redirects: int
    metrics_cache_seconds: float
    progress_poll_seconds: float
    measure_all_tasks: bool
    auth_cache_seconds: float
    progress_streams_per_user: int
    max_document_bytes: int
    max_unpacked_bytes: int
    ocr_languages: str
    ocr_tessdata: str
    ocr_dpi: int
    ocr_page_timeout: float
    imap_timeout: float
    email_timeout: float
    email_max_messages: int
    email_max_message_bytes: int
    email_max_attachment_bytes: int
    email_max_attachments: int
    email_quarantine_folder: str
    #: ``[core] max_map_length``: the most instances one mapped step may have
    max_map_length: int = DEFAULT_MAX_MAP_LENGTH
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def workers(self) -> int:
        """Extraction processes for one document: configured, else cores (max 4), capped."""
        wanted = self.ingest_workers or min(HARD_MAX_WORKERS, 4)
        return max(1, min(wanted, HARD_MAX_WORKERS))

    @property
    def max_file_bytes(self) -> int:
        """The largest document of any kind: the bound on a copy from an object store."""
        return max(self.max_pdf_bytes, self.max_text_bytes, self.max_document_bytes)

    @property
    def run_roots(self) -> tuple[Path, ...]:
        """Folders run-time paths may point into: the trigger root and the local allowed roots."""
        local = [r for r in self.allowed_roots if isinstance(r, Path)]
        roots = [*([self.trigger_root] if self.trigger_root else []), *local]
        return tuple(dict.fromkeys(roots))

    @property
    def location_roots(self) -> tuple[Root, ...]:
        """Every root a run-time location may lie under (:mod:`bluelabel.locations`)."""
        urls = [r for r in self.allowed_roots if not isinstance(r, Path)]
        return (*self.run_roots, *urls)

    def effective(self) -> list[tuple[str, str, str]]:
        """``(key, value, source)`` of every declared key, for ``bluelabel config``."""
        rows = []
        for spec in SETTINGS:
            value = getattr(self, spec.key)
            if isinstance(value, tuple):
                shown = os.pathsep.join(str(v) for v in value)
            elif value is None:
                shown = ""
            else:
                shown = str(value)
            rows.append((spec.key, shown, self.sources.get(spec.key, "default")))
        return rows


# ------------------------------------------------------------------------------ parsing
def _number(spec: Setting, raw: str, cast: Callable[[str], Any]) -> Any:
    try:
        value = cast(raw.strip())
    except ValueError:
        kind = "a whole number" if spec.type == "integer" else "a number"
        raise SettingsError(f"[{SECTION}] {spec.key} = {raw!r} is not {kind}") from None
    if spec.minimum is not None and value < spec.minimum:
        raise SettingsError(f"[{SECTION}] {spec.key} = {raw!r} is below {spec.minimum:g}")
    if spec.maximum is not None and value > spec.maximum:
        raise SettingsError(f"[{SECTION}] {spec.key} = {raw!r} is above {spec.maximum:g}")
    return value


def _boolean(spec: Setting, raw: str) -> bool:
    try:
        return parse_bool(raw, empty=False)
    except ValueError:
        raise SettingsError(f"[{SECTION}] {spec.key} = {raw!r} is not true or false") from None


def _folder(raw: str) -> Path:
    return Path(raw).expanduser().resolve()


def parse_settings(
    raw: Mapping[str, str],
    airflow_home: Path,
    sources: Mapping[str, str] | None = None,
    *,
    max_map_length: int = DEFAULT_MAX_MAP_LENGTH,
) -> Settings:
    """Typed :class:`Settings` from raw strings (missing keys take their defaults);
    ``max_map_length`` is Airflow's ``[core]`` setting of that name."""
    home = str(airflow_home)
    values: dict[str, Any] = {}
    for spec in SETTINGS:
        text = raw.get(spec.key)
        if text is None:
            text = spec.default
        text = text.replace(HOME_PLACEHOLDER, home)
        if spec.choices and text not in spec.choices:
            raise SettingsError(
                f"[{SECTION}] {spec.key} = {text!r}: choose one of {', '.join(spec.choices)}"
            )
        if spec.type == "boolean":
            values[spec.key] = _boolean(spec, text)
        elif spec.type == "integer":
            values[spec.key] = _number(spec, text, int)
        elif spec.type == "float":
            values[spec.key] = _number(spec, text, float)
        else:
            values[spec.key] = text.strip()
    try:
        roots = parse_roots(values["allowed_roots"])
    except ValueError as exc:
        raise SettingsError(
            f"[{SECTION}] allowed_roots = {values['allowed_roots']!r}: {exc}"
        ) from None
    values["allowed_roots"] = roots
    local = [r for r in roots if isinstance(r, Path)]
    trigger = values["trigger_root"]
    values["trigger_root"] = _folder(trigger) if trigger else (local[0] if local else None)
    values["workflow_root"] = _folder(values["workflow_root"]) if values["workflow_root"] else None
    cache_dir = values["workflow_cache"]
    values["workflow_cache"] = (
        None if cache_dir.lower() in ("off", "false", "none", "0", "") else Path(cache_dir)
    )
    return Settings(
        airflow_home=airflow_home,
        sources=dict(sources or {}),
        max_map_length=max_map_length,
        **values,
    )


# ------------------------------------------------------------------------------ loading
def airflow_home(environ: Mapping[str, str] | None = None) -> Path:
    """The Airflow home, resolved as Airflow does (``$AIRFLOW_HOME``, else ``~/airflow``).

    Refuses, instead of letting Airflow create one, when it does not exist: a command run
    outside any deployment must say so rather than write a fresh ``~/airflow/airflow.db``.
    """
    environ = os.environ if environ is None else environ
    configured = environ.get("AIRFLOW_HOME")
    home = home_path(environ)
    if not home.is_dir():
        if configured:
            raise SettingsError(
                f"AIRFLOW_HOME={configured} is not a folder: point it at your Airflow home "
                "(the folder with airflow.cfg)"
            )
        raise SettingsError(
            "no Airflow home: AIRFLOW_HOME is not set and ~/airflow does not exist; set "
            "AIRFLOW_HOME to the Airflow home your tasks use (the folder with airflow.cfg)"
        )
    return home.resolve()


def _secret(path: str) -> str | None:
    """A configuration value from Airflow's secrets backend: the one read that needs Airflow."""
    value: str | None = port("config_secret")(path)
    return value


def _default(default: str, home: Path) -> str:
    return expand(default.replace(HOME_PLACEHOLDER, str(home)))


def _source(found: Found | None, spec: Setting, home: Path) -> str:
    # Airflow writes every declared default into the airflow.cfg it creates: a value the file
    # holds that equals the default still counts as the default.
    if found is None:
        return "default"
    if found.source.startswith("airflow.cfg") and found.value.strip() == _default(
        spec.default, home
    ):
        return "default"
    return found.source


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Every ``[bluelabel]`` key (and ``[core] max_map_length``), with where each came from.

    The values come from Airflow's own configuration when this process has plugged it in
    (:data:`bluelabel.ports.PORTS` ``.airflow_option``: the operators, the DAG factory, the
    plugin); otherwise (the CLI) from :class:`bluelabel.cfgfile.AirflowConfig`, which reads
    the same environment and ``airflow.cfg`` the same way without importing Airflow.
    """
    home = airflow_home(environ)
    try:
        files = AirflowConfig(environ, secret=_secret)
        airflow = PORTS.airflow_option
        raw: dict[str, str] = {}
        sources: dict[str, str] = {}
        for spec in SETTINGS:
            found = files.get(SECTION, spec.key, sensitive=spec.sensitive)
            value = found.value if found else None
            if airflow is not None:
                value = airflow(SECTION, spec.key)
            if value is not None:
                raw[spec.key] = str(value)
            sources[spec.key] = _source(found, spec, home)
        found = files.get("core", "max_map_length")
        core = found.value if found else None
        if airflow is not None:
            core = airflow("core", "max_map_length")
    except ConfigFileError as exc:
        raise SettingsError(str(exc)) from None
    return parse_settings(raw, home, sources, max_map_length=_map_length(core))


def dags_folder(environ: Mapping[str, str] | None = None) -> Path | None:
    """The deployment's ``[core] dags_folder`` (Airflow's default: ``$AIRFLOW_HOME/dags``),
    read as :func:`load_settings` reads; None when there is no Airflow home."""
    try:
        home = airflow_home(environ)
        found = AirflowConfig(environ, secret=_secret).get("core", "dags_folder")
    except (SettingsError, ConfigFileError):
        return None
    value = found.value if found else None
    if PORTS.airflow_option is not None:
        value = PORTS.airflow_option("core", "dags_folder")
    return Path(expand(value)) if value else home / "dags"


def _map_length(raw: str | None) -> int:
    """``[core] max_map_length`` as Airflow's ``getint`` takes it ("1024", "1024.0")."""
    if raw is None:
        return DEFAULT_MAX_MAP_LENGTH
    try:
        return int(raw)
    except ValueError:
        try:
            number = float(raw)
            if number.is_integer():
                return int(number)
        except (ValueError, OverflowError):
            pass
    raise SettingsError(f"[core] max_map_length = {raw!r} is not a whole number")


@cache
def get_settings() -> Settings:
    """The process's settings, read on first use."""
    return load_settings()


def reset_settings() -> None:
    """Forget the cached settings (tests that change the configuration)."""
    get_settings.cache_clear()


def provider_config() -> dict[str, Any]:
    """The ``[bluelabel]`` section as provider configuration (``get_provider_info()["config"]``)."""
    options: dict[str, Any] = {}
    for spec in SETTINGS:
        description = spec.description
        if spec.choices:
            description += f" One of: {', '.join(spec.choices)}."
        options[spec.key] = {
            "description": description,
            "version_added": "0.1.0",
            "type": spec.type,
            "example": spec.example,
            "default": spec.default,
            **({"sensitive": True} if spec.sensitive else {}),
        }
    return {
        SECTION: {
            "description": "Bluelabel: documents into a knowledge store and digests.",
            "options": options,
        }
    }


__all__ = [
    "HARD_MAX_WORKERS",
    "SETTINGS",
    "Setting",
    "Settings",
    "SettingsError",
    "airflow_home",
    "dags_folder",
    "get_settings",
    "load_settings",
    "parse_settings",
    "provider_config",
    "reset_settings",
]
