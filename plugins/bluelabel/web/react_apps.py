"""The React views the plugin adds to the Airflow UI (Airflow 3.1+ ``react_apps``).

All of them are one bundle, ``static/bluelabel.js`` (built from ``ui/`` by ``make install``),
that registers one component under every view's name; the component picks the view from the
URL (``/plugin/<url_route>``). It renders with the Airflow UI's own React, Chakra and theme,
which the UI shares with plugins (``globalThis.React``, ``ChakraUI``, ``ChakraUISystem``...).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from bluelabel.ui_paths import PREFIX, base_path, ui_path

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
BUNDLE = STATIC_DIR / "bluelabel.js"

#: (name shown in the UI, url_route, destination, extra keys). Names double as the global the
#: bundle registers its component under; url_routes are unique across all plugins. The
#: Knowledge store's nav button is "Knowledge": Airflow draws top-level labels on one line in
#: a 56 px button, which cuts "Knowledge store" to "Knowledg…"; the view's heading says it all.
VIEWS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("Knowledge", "knowledge-store", "nav", {"nav_top_level": True}),
    ("Bluelabel metrics", "bluelabel-metrics", "nav", {"category": "browse"}),
    ("Bluelabel metrics", "bluelabel-dag-metrics", "dag", {}),
    ("Digest", "bluelabel-digest", "dag_run", {}),
    ("Metrics", "bluelabel-run-metrics", "dag_run", {}),
    ("Progress", "bluelabel-progress", "dag_run", {}),
    ("Digest", "bluelabel-task-digest", "task_instance", {}),
    ("Metrics", "bluelabel-task-metrics", "task_instance", {}),
    ("Progress", "bluelabel-task-progress", "task_instance", {}),
)


def react_apps() -> list[dict[str, Any]]:
    """The ``react_apps`` entries, or none (with a warning) when the bundle was not built."""
    if not BUNDLE.is_file():
        log.warning(
            "bluelabel: the UI bundle %s is missing (build it with `make install`, or "
            "`npm ci && npm run build` in ui/); the Bluelabel views are not shown",
            BUNDLE,
        )
        return []
    version = hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:12]
    bundle_url = base_path(f"{PREFIX}/static/bluelabel.js?v={version}")
    icon = base_path(f"{PREFIX}/static/icon.svg")
    icon_dark = base_path(f"{PREFIX}/static/icon-dark.svg")
    return [
        {
            "name": name,
            "url_route": route,
            "destination": destination,
            "bundle_url": bundle_url,
            "icon": icon,
            "icon_dark_mode": icon_dark,
            **extra,
        }
        for name, route, destination, extra in VIEWS
    ]


__all__ = ["PREFIX", "VIEWS", "base_path", "react_apps", "ui_path"]
