"""Provider metadata for Airflow (entry point ``apache_airflow_provider``).

Bluelabel is a plugin, not an Airflow provider, but declaring its ``[bluelabel]`` section the
way providers declare theirs makes ``airflow config list`` show every key with its description
and default. Nothing here imports Airflow.
"""

from __future__ import annotations

from typing import Any

from bluelabel import __version__
from bluelabel.config import provider_config


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "bluelabel-airflow",
        "name": "Bluelabel",
        "description": "Documents (PDFs, web pages, text) into a knowledge store and digests.",
        "versions": [__version__],
        "config": provider_config(),
    }
