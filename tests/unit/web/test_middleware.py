"""The plugin app's ASGI middlewares, called as the API server calls them."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from bluelabel.web.middleware import FreezeStartupHeap


def test_the_start_up_heap_is_frozen_once_at_the_first_request() -> None:
    served: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        served.append(scope["path"])

    middleware = FreezeStartupHeap(app)
    gc.unfreeze()
    try:
        asyncio.run(middleware({"type": "lifespan", "path": ""}, None, None))
        assert gc.get_freeze_count() == 0  # not the server's start-up events: a request
        asyncio.run(middleware({"type": "http", "path": "/api/documents"}, None, None))
        frozen = gc.get_freeze_count()
        assert frozen > 1000  # this process's modules and their objects
        later = [object() for _ in range(10)]  # noqa: F841 (objects made after)
        asyncio.run(middleware({"type": "http", "path": "/api/documents"}, None, None))
        assert gc.get_freeze_count() == frozen  # once: later objects are collected as ever
        assert served == ["", "/api/documents", "/api/documents"]
    finally:
        gc.unfreeze()
