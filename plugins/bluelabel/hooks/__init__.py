"""Airflow hooks: the IMAP provider's hook, with what a document pipeline needs besides."""
