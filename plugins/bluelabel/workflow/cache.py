"""Placeholder, replaced below."""
from bluelabel.workflow.validate import check_workflow as cached_check  # noqa: F401
