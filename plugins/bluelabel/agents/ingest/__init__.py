"""How each kind of source becomes a stored document, one module per kind.

``options``: the ingestion agent's options. ``documents``: records and results, one way to
store. ``pdf``, ``text``, ``url``: the kinds. ``dispatch``: a checked local file to its kind.
``batch``: one file of the batch inbox (a document, or a ``.url`` list). The agent itself,
which picks among them, is :class:`bluelabel.agents.ingest.agent.IngestionAgent`.
"""
