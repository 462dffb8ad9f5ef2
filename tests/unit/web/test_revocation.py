"""The plugin's revocation check: every answer comes from a lookup started after the
question, and concurrent questions share lookups."""

from __future__ import annotations

import asyncio

import pytest

from bluelabel.web.deps import RevocationCheck


class Table:
    """A stand-in for Airflow's revoked_token table that records each lookup."""

    def __init__(self) -> None:
        self.revoked: set[str] = set()
        self.lookups: list[frozenset[str]] = []

    async def __call__(self, jtis: frozenset[str]) -> frozenset[str]:
        self.lookups.append(jtis)
        await asyncio.sleep(0.01)  # a query in flight: later questions wait for the next one
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


def test_concurrent_questions_share_lookups_and_later_ones_get_their_own() -> None:
    table = Table()
    check = RevocationCheck(table)

    async def scenario() -> None:
        first = await asyncio.gather(*(check.is_revoked(j) for j in ("a", "b", "c") * 20))
        assert first == [False] * 60
        table.revoked.add("b")
        again = await asyncio.gather(*(check.is_revoked(j) for j in ("a", "b", "c") * 20))
        assert again == [False, True, False] * 20

    asyncio.run(scenario())
    assert table.lookups == [frozenset("abc"), frozenset("abc")]


def test_a_question_asked_during_a_lookup_waits_for_the_next_one() -> None:
    table = Table()
    check = RevocationCheck(table)

    async def scenario() -> None:
        first = asyncio.ensure_future(check.is_revoked("a"))
        await asyncio.sleep(0.002)  # its lookup is in flight
        table.revoked.add("a")
        assert await check.is_revoked("a")  # a lookup that started after the revocation
        await first

    asyncio.run(scenario())
    assert len(table.lookups) == 2


def test_a_failed_lookup_fails_the_waiting_questions_and_the_next_one_works() -> None:
    calls = []

    async def flaky(jtis: frozenset[str]) -> frozenset[str]:
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
