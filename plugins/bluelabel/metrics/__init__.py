"""Step metrics: measured by a listener in the task process, kept in Airflow's task state
store (one key per try), turned into figures by :mod:`bluelabel.runstats` for the
plugin's API and page, ``bluelabel report`` and the periodic digest."""

from __future__ import annotations

#: Task state store keys of the listener's records: ``bluelabel.metrics.<try_number>``.
METRICS_STATE_PREFIX = "bluelabel.metrics."
