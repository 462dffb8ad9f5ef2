"""Step metrics: measured by a listener in the task process, kept in the run ledger of a
knowledge store's catalog (one row per try, :mod:`bluelabel.store.ledger`), joined with
Airflow's tries and turned into figures by :mod:`bluelabel.runstats` for the plugin's API and
page, ``bluelabel report`` and the periodic digest."""
