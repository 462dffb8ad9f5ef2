"""The plugin app's ASGI middlewares, called as the API server calls them."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from bluelabel.web import middleware
from bluelabel.web.middleware import FreezeStartupHeap


def test_the_start_up_heap_is_frozen_once_at_the_first_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: list[str] = []
    freezes: list[int] = []
    real_freeze = gc.freeze

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        served.append(scope["path"])

    def freeze() -> None:
        freezes.append(1)
        real_freeze()

    monkeypatch.setattr(middleware.gc, "freeze", freeze)
    heap = FreezeStartupHeap(app)
    gc.unfreeze()
    try:
        asyncio.run(heap({"type": "lifespan", "path": ""}, None, None))
        assert not freezes  # not at the server's start-up events: at a request
        asyncio.run(heap({"type": "http", "path": "/api/documents"}, None, None))
        assert freezes == [1]
        assert gc.get_freeze_count() > 1000  # this process's modules and their objects
        asyncio.run(heap({"type": "http", "path": "/api/documents"}, None, None))
        assert freezes == [1]  # once: what later requests make is collected as ever
        assert served == ["", "/api/documents", "/api/documents"]
    finally:
        gc.unfreeze()
