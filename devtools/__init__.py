"""Developer tools that are not part of the installed ``bluelabel`` package: the demo, the
project-local Airflow, PDFs built in code for tests and benchmarks, and the local cluster.

Run them from the repository root (``python -m devtools.demo``); ``make`` does.
"""
