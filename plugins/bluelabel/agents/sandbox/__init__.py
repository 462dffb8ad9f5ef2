"""The sandbox: untrusted documents are parsed in supervised worker processes, never in the
calling one.

``supervisor``: starts workers (a fresh interpreter each, ``python -I``), caps their heap,
watches the resident memory of the caller and its workers together against
``[bluelabel] ingest_memory_mb``, stops everything at ``[bluelabel] ingest_timeout``, and turns a
worker's death into one line naming the limit. ``worker``: the process itself -- JSON lines over
stdin/stdout, each command handled by the format that registered it (PDF pages, DOCX, HTML,
email messages).

Nothing is imported here: a worker process imports this package first and must stay light.
"""
