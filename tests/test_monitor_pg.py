"""The same crash-safety scenarios on a real PostgreSQL (session fixture ``postgres``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg

from launchready.monitor.store import MIGRATIONS
from pgharness import PgServer
from test_monitor_restart import daemon_restart_scenario, kill_mid_write


def _database(postgres: PgServer, name: str) -> str:
    postgres.psql(f"DROP DATABASE IF EXISTS {name}")
    postgres.psql(f"CREATE DATABASE {name}")
    return postgres.url(name)


def test_pg_restart_never_duplicates_and_reports_offline_recovery(
        tmp_path: Path, postgres: PgServer) -> None:
    url = _database(postgres, "monitor_restart")
    asyncio.run(daemon_restart_scenario(tmp_path, url))
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM incidents").fetchone() == (1,)
        assert conn.execute(
            "SELECT COUNT(*) FROM incidents WHERE ended IS NULL").fetchone() == (0,)
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert row == (str(len(MIGRATIONS)),)


def test_pg_kill9_mid_write_keeps_every_committed_result(postgres: PgServer) -> None:
    url = _database(postgres, "monitor_burst")
    committed = asyncio.run(kill_mid_write(url))
    assert len(committed) >= 50
    with psycopg.connect(url) as conn:
        causes = {c for (c,) in conn.execute("SELECT cause FROM results").fetchall()}
    missing = [i for i in committed if f"n{i}" not in causes]
    assert missing == []


def test_pg_connection_lost_is_reconnected_and_writes_resume(postgres: PgServer) -> None:
    from datetime import UTC, datetime

    from launchready.monitor.state import Status
    from launchready.monitor.store import Commit, ResultRow, StoreError, open_store

    url = _database(postgres, "monitor_reconnect")

    def commit(i: int) -> Commit:
        return Commit(result=ResultRow(check="api", at=datetime.now(UTC), ok=True,
                                       latency_ms=1.0, cause=f"r{i}"), check="api",
                      status=Status())

    async def scenario() -> list[str]:
        store = await open_store(url)
        try:
            await store.commit(commit(1))
            # the server drops every client connection (as a restart or failover does)
            postgres.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = 'monitor_reconnect' AND pid <> pg_backend_pid()")
            try:
                await store.commit(commit(2))
            except StoreError:
                await store.commit(commit(2))  # the daemon's writer retries the same batch
            return [r.cause for r in await store.results("api")]
        finally:
            await store.close()

    assert asyncio.run(scenario()) == ["r1", "r2"]


def test_pg_retention_folds_old_results_into_rollups(postgres: PgServer) -> None:
    from datetime import UTC, datetime, timedelta

    from launchready.monitor.store import Commit, ResultRow, open_store

    url = _database(postgres, "monitor_prune")

    async def scenario() -> tuple[int, int]:
        store = await open_store(url)
        try:
            old = datetime.now(UTC) - timedelta(days=3)
            for i in range(3):
                await store.commit(Commit(result=ResultRow(
                    check="api", at=old + timedelta(minutes=i), ok=i != 1, latency_ms=5.0)))
            await store.prune(datetime.now(UTC), raw_retention=timedelta(hours=48),
                              retention=timedelta(days=30))
            return len(await store.results("api")), 0
        finally:
            await store.close()

    assert asyncio.run(scenario())[0] == 0
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT SUM(runs), SUM(failures) FROM rollups").fetchone() == (3, 1)


def test_pg_two_claimers_never_get_the_same_outbox_row(postgres: PgServer) -> None:
    from datetime import UTC, datetime

    from launchready.monitor.store import open_store

    url = _database(postgres, "monitor_claims")
    now = datetime.now(UTC).timestamp()

    async def scenario() -> tuple[list[int], set[int], set[int], set[int], set[int]]:
        one, two = await open_store(url), await open_store(url)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                ids = sorted(int(conn.execute(
                    "INSERT INTO outbox (dedupe, route, title, body, created, next_at) "
                    "VALUES (%s, 0, 't', 'b', %s, %s) RETURNING id",
                    (f"d{i}", now, now)).fetchone()[0]) for i in range(300))  # type: ignore[index]
            # both ask for every row at once, each through its own connection and thread
            first, second = await asyncio.gather(one.claim(ids, "a"), two.claim(ids, "b"))
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("UPDATE outbox SET status = 'pending', claimed_by = NULL")
            # another claimer is in the middle of claiming the first 100: they are skipped
            # at once, not waited for
            with psycopg.connect(url) as holder:
                holder.execute("SELECT id FROM outbox WHERE id = ANY(%s) FOR UPDATE",
                               (ids[:100],))
                skipped = await asyncio.wait_for(one.claim(ids, "a"), timeout=10)
            later = await two.claim(ids, "b")
            return ids, first, second, skipped, later
        finally:
            await one.close()
            await two.close()

    ids, first, second, skipped, later = asyncio.run(scenario())
    assert not first & second
    assert first | second == set(ids)
    assert skipped == set(ids[100:])
    assert later == set(ids[:100])
