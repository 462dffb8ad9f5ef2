"""Step metrics: measured by a listener in the task process, stored in XCom, aggregated for
the plugin's API and page and for ``bluelabel report``."""

from __future__ import annotations

#: The XCom key under which every task's measurement record is stored.
METRICS_XCOM_KEY = "bluelabel_metrics"
