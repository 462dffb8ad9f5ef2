"""The plugin's revocation check: every answer comes from a lookup that started after the
question, and concurrent questions share lookups."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bluelabel.web.deps import RevocationCheck


class Table:
    """A stand-in for Airflow's revoked_token table that records each lookup."""

    def __init__(self) -> None:
        self.revoked: set[str] = set()
        self.lookups: list[frozenset[str]] = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, jtis: frozenset[str]) -> frozenset[str]:
        self.gate.wait(5)
        self.lookups.append(jtis)
        return frozenset(jtis & self.revoked)


def test_a_revocation_is_seen_by_the_next_question() -> None:
    table = Table()
    check = RevocationCheck(table)

    async def scenario() -> None:
        assert not await check.is_revoked("a")
        table.revoked.add("a")
        assert await check.is_revoked("a")
        assert not await check.is_revoked("b")

    asyncio.run(scenario())
    assert len(table.lookups) == 3


def test_questions_asked_during_a_lookup_wait_for_the_next_one() -> None:
    table = Table()
    check = RevocationCheck(table)

    async def scenario() -> None:
        table.gate.clear()  # the first lookup hangs until released
        first = asyncio.ensure_future(check.is_revoked("a"))
        await asyncio.sleep(0.05)
        table.revoked.add("a")  # revoked while the first lookup runs
        later = [asyncio.ensure_future(check.is_revoked(j)) for j in ("a", "b", "c") * 20]
        await asyncio.sleep(0.05)
        table.gate.set()
        await first  # its lookup may or may not see the revocation: it started before
        answers = await asyncio.gather(*later)
        assert answers == [True, False, False] * 20  # theirs cannot

    asyncio.run(scenario())
    assert len(table.lookups) == 2 and table.lookups[1] == {"a", "b", "c"}


def test_a_failed_lookup_fails_the_waiting_questions_and_the_next_one_works() -> None:
    calls = []

    def flaky(jtis: frozenset[str]) -> frozenset[str]:
        calls.append(jtis)
        if len(calls) == 1:
            raise ConnectionError("metadata DB unreachable")
        return frozenset()

    check = RevocationCheck(flaky)

    async def scenario() -> None:
        with pytest.raises(ConnectionError):
            await check.is_revoked("a")
        assert not await check.is_revoked("a")

    asyncio.run(scenario())
