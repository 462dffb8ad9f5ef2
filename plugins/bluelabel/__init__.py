"""Bluelabel: documents into knowledge and digests, on Apache Airflow 3.

The Airflow-free core lives in :mod:`bluelabel.agents`, :mod:`bluelabel.store` and
:mod:`bluelabel.workflow`; nothing imported here pulls in Airflow.
"""

from __future__ import annotations

import functools

DISTRIBUTION = "bluelabel-airflow"


@functools.cache
def _installed_version() -> str:
    """The version written once, in pyproject.toml, as the installed package's metadata says
    (a wheel or an editable install); ``0+unknown`` for a source tree on sys.path that was
    never installed. Read on first use: importlib.metadata costs a fast CLI command tens of
    milliseconds."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _installed_version()
    raise AttributeError(f"module 'bluelabel' has no attribute {name!r}")


__all__ = ["DISTRIBUTION", "__version__"]
