"""Bluelabel: documents into knowledge and digests, on Apache Airflow 3.

The Airflow-free core lives in :mod:`bluelabel.agents`, :mod:`bluelabel.store` and
:mod:`bluelabel.workflow`; nothing imported here pulls in Airflow.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
