"""The monitor's store: results, per-check state, incidents and the notification outbox.

SQLite by default (``sqlite:///path.db``), PostgreSQL by URL (``postgresql://...``, psycopg 3).
Both run the same SQL through one connection on one dedicated thread, so there is exactly one
writer. Everything one observation changes — its result row, the check's state, an incident
opened or closed, and the outbox rows for its alert — is written in ONE transaction. That is
what makes restarts safe: after a kill -9 either the alert is in the outbox (and will be
delivered) with the incident marked open, or neither happened and the next run decides again;
a second alert for the same incident cannot be produced (RELIABILITY 11, 22).

SQLite settings (sqlite.org/wal.html, /pragma.html): WAL journal, ``synchronous = NORMAL`` in
WAL (a committed transaction survives a process crash; only an OS crash may lose the last
ones), ``busy_timeout`` 10 s and ``BEGIN IMMEDIATE`` so a writer waits for another process's
lock instead of failing with SQLITE_BUSY half-way through (RELIABILITY 20). A write that still
fails raises :class:`StoreError`; the daemon keeps the batch in memory and retries.

Timestamps are stored as UTC epoch seconds (the wall clock is only used for labels).
Retention: individual results are kept ``raw_retention``; older ones are folded into hourly
roll-ups kept for ``retention`` (uptime over 7 and 30 days reads both).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from launchready.monitor.state import Status
from launchready.monitor.views import (
    CheckState,
    CheckView,
    IncidentView,
    LatencyPoint,
    LocationResult,
    StatusSnapshot,
)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000
READ_BUSY_TIMEOUT_MS = 1_000  # the status page answers within its own deadline
BOUNDS_MS: tuple[float, ...] = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


class StoreError(Exception):
    """A write or read of the monitor store failed (locked too long, disk full, server down)."""


# Each migration is a list of statements; {pk} and {real} are filled per dialect.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS results (id {pk}, check_name TEXT NOT NULL, "
        "at {real} NOT NULL, ok INTEGER, latency_ms {real}, cause TEXT NOT NULL DEFAULT '')",
        "CREATE INDEX IF NOT EXISTS ix_results_check_at ON results (check_name, at)",
        "CREATE TABLE IF NOT EXISTS rollups (check_name TEXT NOT NULL, hour {real} NOT NULL, "
        "runs INTEGER NOT NULL, failures INTEGER NOT NULL, unknown INTEGER NOT NULL, "
        "latency_sum {real} NOT NULL, latency_n INTEGER NOT NULL, "
        "PRIMARY KEY (check_name, hour))",
        "CREATE TABLE IF NOT EXISTS states (check_name TEXT PRIMARY KEY, state TEXT NOT NULL, "
        "since {real}, failures INTEGER NOT NULL, successes INTEGER NOT NULL, "
        "incident_started {real}, cause TEXT NOT NULL, last_notified {real}, "
        "runs_total INTEGER NOT NULL DEFAULT 0, failures_total INTEGER NOT NULL DEFAULT 0, "
        "last_latency_ms {real})",
        "CREATE TABLE IF NOT EXISTS incidents (id {pk}, check_name TEXT NOT NULL, "
        "started {real} NOT NULL, ended {real}, cause TEXT NOT NULL, "
        "recovered_while_offline INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE IF NOT EXISTS outbox (id {pk}, dedupe TEXT NOT NULL UNIQUE, "
        "route INTEGER NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, "
        "created {real} NOT NULL, next_at {real} NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
        "status TEXT NOT NULL DEFAULT 'pending', last_error TEXT, sent_at {real})",
        "CREATE INDEX IF NOT EXISTS ix_outbox_due ON outbox (status, next_at)",
    ),
    (
        # who is sending a row: claimed with a compare-and-set, so no row goes out twice
        "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
    ),
    (
        # several locations: each node's results are its own ('' for a single node)
        "ALTER TABLE results ADD COLUMN location TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX IF NOT EXISTS ix_results_check_location_at ON results "
        "(check_name, location, at)",
    ),
)


def _epoch(at: datetime | None) -> float | None:
    return None if at is None else at.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(value), UTC)


@dataclass(frozen=True, kw_only=True)
class ResultRow:
    """One run as stored; ``ok`` None means unknown (the monitor was offline)."""

    check: str
    at: datetime
    ok: bool | None
    latency_ms: float | None
    cause: str = ""
    location: str = ""  # where it was probed from ('' for a single node)


@dataclass(frozen=True, kw_only=True)
class Message:
    """One notification to one route, queued in the outbox."""

    dedupe: str  # unique: the same alert is never queued twice
    route: int  # index into [monitor] alerts
    title: str
    body: str


@dataclass(frozen=True, kw_only=True)
class OutboxItem:
    """A queued message due for (re)delivery."""

    id: int
    route: int
    title: str
    body: str
    attempts: int
    created: datetime
    next_at: datetime | None = None  # wall time of the next attempt, as last recorded


@dataclass(frozen=True, kw_only=True)
class Lease:
    """Who holds a named lease of the store, until when (wall clock: several processes
    compare it)."""

    holder: str  # "pid@host", for people
    token: str  # unique per process start
    expires: datetime

    def encode(self) -> str:
        """The ``meta`` value."""
        return json.dumps({"holder": self.holder, "token": self.token,
                           "expires": self.expires.timestamp()})

    @staticmethod
    def decode(value: str | None) -> Lease | None:
        """A ``meta`` value back; None for an empty or unreadable one."""
        try:
            data = json.loads(value or "")
            return Lease(holder=str(data["holder"]), token=str(data["token"]),
                         expires=datetime.fromtimestamp(float(data["expires"]), UTC))
        except (ValueError, KeyError, TypeError):
            return None


def lease_free(current: Lease | None, *, token: str, holder: str, now: datetime,
               alive: Callable[[int], bool]) -> bool:
    """Pure: whether ``token`` (running as ``holder``) may take or renew ``current``.

    Free when nobody holds it, it is ours, it has expired, or its holder is a process on
    this host that no longer runs (a kill -9 or a crash: the restart need not wait out the
    lease). The same pid on the same host with another token is an earlier life of this
    process's pid (a container's pid 1 restarted)."""
    if current is None or current.token == token or current.expires <= now:
        return True
    pid, _, host = current.holder.partition("@")
    mine_pid, _, mine_host = holder.partition("@")
    if host != mine_host or not pid.isdigit():
        return False
    return pid == mine_pid or not alive(int(pid))


@dataclass(frozen=True, kw_only=True)
class Commit:
    """Everything one observation changes, written in one transaction."""

    result: ResultRow | None = None
    check: str | None = None
    status: Status | None = None
    opened: tuple[datetime, str] | None = None  # incident started, cause
    closed: tuple[datetime, bool] | None = None  # ended, recovered while offline
    messages: tuple[Message, ...] = ()
    at: datetime | None = None  # when the messages were queued (default: the result's time)
    mono: float = 0.0  # monotonic time it was queued (memory only: the grouping window)


class _Conn(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def close(self) -> None: ...


@dataclass
class Store:
    """The store. Open with :func:`open_store`; implements ``views.StatusSource``."""

    url: str
    public: dict[str, bool] = field(default_factory=dict)  # check name -> on the status page
    several_locations: bool = False  # snapshots carry each check's result per location
    _conn: _Conn | None = field(default=None, repr=False)
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1,
                                                   thread_name_prefix="monitor-store"),
        repr=False)
    _read_conn: _Conn | None = field(default=None, repr=False)
    _read_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1,
                                                   thread_name_prefix="monitor-store-read"),
        repr=False)
    state_note: str = "ok"
    _opened: bool = field(default=False, repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self.url.startswith("sqlite:") else "postgresql"

    @property
    def label(self) -> str:
        """Where the data lives, without credentials (for logs)."""
        if self.dialect == "sqlite":
            return self.url
        return "postgresql://" + self.url.rsplit("@", 1)[-1]

    # ---- plumbing -----------------------------------------------------------------------

    async def _run(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, fn)
        except StoreError:
            raise
        except Exception as exc:
            await loop.run_in_executor(self._pool, self._drop_if_broken)
            raise StoreError(f"{type(exc).__name__}: {_clean(str(exc))}") from None

    async def _read(self, fn: Callable[[], T]) -> T:
        """Run a read on the read connection's own thread: the status page never waits
        behind a write that waits for a lock (WAL readers do not block on writers)."""
        if self.dialect == "sqlite" and self.url.endswith(":memory:"):
            return await self._run(fn)  # one in-memory database: one connection
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._read_pool, fn)
        except StoreError:
            raise
        except Exception as exc:
            await loop.run_in_executor(self._read_pool, self._drop_reader)
            raise StoreError(f"{type(exc).__name__}: {_clean(str(exc))}") from None

    def _drop_reader(self) -> None:
        conn, self._read_conn = self._read_conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _rx(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.dialect == "sqlite" and self.url.endswith(":memory:"):
            return self._x(sql, params)
        if not self._opened:
            raise StoreError("the store is closed")
        if self._read_conn is None:
            if self.dialect == "sqlite":
                conn = sqlite3.connect(self.url.removeprefix("sqlite:///"),
                                       isolation_level=None, check_same_thread=False,
                                       timeout=READ_BUSY_TIMEOUT_MS / 1000)
                conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA query_only = 1")
                self._read_conn = conn
            else:
                self._read_conn = _pg_connect(self.url, 5)
        return self._read_conn.execute(self._sql(sql), tuple(params))

    def _drop_if_broken(self) -> None:
        """After a failure, forget a PostgreSQL connection that is gone; the next call
        reconnects (RELIABILITY 26: the server restarting must not need a monitor restart)."""
        conn = self._conn
        if conn is None or self.dialect == "sqlite":
            return
        if getattr(conn, "closed", False) or getattr(conn, "broken", False):
            with contextlib.suppress(Exception):
                conn.close()
            self._conn = None

    def _sql(self, sql: str) -> str:
        # a literal % (the modulo of the hourly roll-up) is doubled for psycopg
        return (sql.replace("%", "%%").replace("?", "%s") if self.dialect == "postgresql"
                else sql)

    def _x(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self._conn is None and self._opened and self.dialect == "postgresql":
            self._conn = _pg_connect(self.url, 5)
        if self._conn is None:
            raise StoreError("the store is closed")
        return self._conn.execute(self._sql(sql), tuple(params))

    def _tx(self, fn: Callable[[], T]) -> T:
        self._x("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            out = fn()
        except BaseException:
            with contextlib.suppress(Exception):
                self._x("ROLLBACK")
            raise
        self._x("COMMIT")
        return out

    def _connect(self) -> None:
        if self.dialect == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=BUSY_TIMEOUT_MS / 1000)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._conn = conn
        else:
            self._conn = _pg_connect(self.url, 10)
        self._migrate()
        self._opened = True

    def _migrate(self) -> None:
        pk = "INTEGER PRIMARY KEY" if self.dialect == "sqlite" else "BIGSERIAL PRIMARY KEY"
        real = "DOUBLE PRECISION"

        def work() -> None:
            self._x("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = self._x("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            for number, statements in enumerate(MIGRATIONS, start=1):
                if number <= version:
                    continue
                for statement in statements:
                    self._x(statement.format(pk=pk, real=real))
                self._x("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(number),))

        self._tx(work)

    @property
    def is_open(self) -> bool:
        """Whether :meth:`open` has succeeded (and :meth:`close` not been called)."""
        return self._opened

    async def open(self) -> Store:
        """Connect and migrate; on failure nothing stays half open and ``open`` may be
        called again (the daemon retries while the disk is full)."""
        try:
            await self._run(self._connect)
        except StoreError:
            await asyncio.get_running_loop().run_in_executor(self._pool, self._discard)
            raise
        return self

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    async def close(self) -> None:
        """Checkpoint (SQLite) and close; safe to call twice."""
        def work() -> None:
            self._opened = False
            if self._conn is None:
                return
            if self.dialect == "sqlite":
                with contextlib.suppress(sqlite3.Error):
                    self._x("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._conn = None

        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._read_pool, self._drop_reader)
            await loop.run_in_executor(self._pool, work)
        finally:
            self._read_pool.shutdown(wait=True)
            self._pool.shutdown(wait=True)

    async def checkpoint(self) -> None:
        """Fold the WAL back into the database file (SQLite; no-op on PostgreSQL)."""
        if self.dialect == "sqlite":
            await self._run(lambda: self._x("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())

    # ---- state ---------------------------------------------------------------------------

    async def load(self) -> dict[str, Status]:
        """Every check's persisted status; an open incident comes back ``resumed``."""
        def work() -> dict[str, Status]:
            rows = self._x("SELECT check_name, state, since, failures, successes, "
                           "incident_started, cause, last_notified FROM states").fetchall()
            out: dict[str, Status] = {}
            for name, state, since, fails, oks, started, cause, notified in rows:
                st = CheckState(state)
                out[name] = Status(state=st, since=_dt(since), failures=int(fails),
                                   successes=int(oks), incident_started=_dt(started),
                                   cause=cause, last_notified=_dt(notified),
                                   resumed=st is CheckState.DOWN)
            return out

        return await self._run(work)

    async def commit(self, batch: Commit) -> None:
        """Write one observation's changes atomically."""
        await self._run(lambda: self._tx(lambda: self._apply(batch)))

    async def commit_many(self, batches: Iterable[Commit]) -> None:
        """Write several observations in one transaction (used to flush a backlog)."""
        items = list(batches)

        def work() -> None:
            for batch in items:
                self._apply(batch)

        await self._run(lambda: self._tx(work))

    def _apply(self, b: Commit) -> None:
        if b.result is not None:
            r = b.result
            self._x("INSERT INTO results (check_name, at, ok, latency_ms, cause, location) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (r.check, r.at.timestamp(), None if r.ok is None else int(r.ok),
                     r.latency_ms, r.cause, r.location))
        if b.check is not None and b.status is not None:
            s = b.status
            ran = 1 if b.result is not None and b.result.ok is not None else 0
            failed = 1 if b.result is not None and b.result.ok is False else 0
            latency = b.result.latency_ms if b.result is not None else None
            self._x(
                "INSERT INTO states (check_name, state, since, failures, successes, "
                "incident_started, cause, last_notified, runs_total, failures_total, "
                "last_latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (check_name) DO UPDATE SET state = excluded.state, "
                "since = excluded.since, failures = excluded.failures, "
                "successes = excluded.successes, incident_started = excluded.incident_started,"
                " cause = excluded.cause, last_notified = excluded.last_notified, "
                "runs_total = states.runs_total + excluded.runs_total, "
                "failures_total = states.failures_total + excluded.failures_total, "
                "last_latency_ms = COALESCE(excluded.last_latency_ms, states.last_latency_ms)",
                (b.check, s.state.value, _epoch(s.since), s.failures, s.successes,
                 _epoch(s.incident_started), s.cause, _epoch(s.last_notified), ran, failed,
                 latency))
        if b.check is not None and b.opened is not None:
            self._x("INSERT INTO incidents (check_name, started, cause) VALUES (?, ?, ?)",
                    (b.check, b.opened[0].timestamp(), b.opened[1]))
        if b.check is not None and b.closed is not None:
            self._x("UPDATE incidents SET ended = ?, recovered_while_offline = ? "
                    "WHERE check_name = ? AND ended IS NULL",
                    (b.closed[0].timestamp(), int(b.closed[1]), b.check))
        queued = b.at or (b.result.at if b.result is not None else datetime.now(UTC))
        now = queued.timestamp()
        for m in b.messages:
            self._x("INSERT INTO outbox (dedupe, route, title, body, created, next_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe) DO NOTHING",
                    (m.dedupe, m.route, m.title, m.body, now, now))

    # ---- outbox --------------------------------------------------------------------------

    async def enqueue(self, messages: Sequence[Message], at: datetime | None = None) -> None:
        """Queue messages outside an observation, due from ``at`` (default: now)."""
        await self.commit(Commit(messages=tuple(messages), at=at))

    async def pending(self, limit: int = 50) -> list[OutboxItem]:
        """Pending messages, oldest first; when each is due is the outbox's business (it
        schedules on the monotonic clock)."""
        def work() -> list[OutboxItem]:
            rows = self._x("SELECT id, route, title, body, attempts, created, next_at "
                           "FROM outbox WHERE status = 'pending' ORDER BY id LIMIT ?",
                           (limit,)).fetchall()
            return [OutboxItem(id=int(i), route=int(r), title=t, body=b, attempts=int(a),
                               created=_dt(c) or datetime.now(UTC), next_at=_dt(n))
                    for i, r, t, b, a, c, n in rows]

        return await self._run(work)

    async def claim(self, ids: Sequence[int], claimer: str) -> set[int]:
        """Claim pending rows for sending: a row another process claimed first (or is
        claiming right now) is not returned. Claimed rows are no longer due until settled.
        On PostgreSQL one statement locks the still-pending rows ``FOR UPDATE SKIP LOCKED``,
        so two claimers never wait on each other nor get the same row; on SQLite (one
        writer) each row is a compare-and-set."""
        def locked() -> set[int]:
            rows = self._x("UPDATE outbox SET status = 'sending', claimed_by = ? WHERE id IN "
                           "(SELECT id FROM outbox WHERE id = ANY(?) AND status = 'pending' "
                           "FOR UPDATE SKIP LOCKED) RETURNING id",
                           (claimer, list(ids))).fetchall()
            return {int(row[0]) for row in rows}

        if self.dialect == "postgresql":
            return await self._run(lambda: self._tx(locked))

        def work() -> set[int]:
            got: set[int] = set()
            for item_id in ids:
                cur = self._x("UPDATE outbox SET status = 'sending', claimed_by = ? "
                              "WHERE id = ? AND status = 'pending'", (claimer, item_id))
                if cur.rowcount == 1:
                    got.add(item_id)
            return got

        return await self._run(lambda: self._tx(work))

    async def take_lease(self, name: str, *, holder: str, token: str, now: datetime,
                         ttl: float, alive: Callable[[int], bool]) -> Lease:
        """Take or renew lease ``name`` for ``token`` for ``ttl`` seconds, atomically.
        Returns the lease as it stands: ours when taken, the holder's when refused. Taking
        it over from another token puts that holder's claimed outbox rows back in the
        queue (delivery is at least once)."""
        key = f"lease:{name}"
        lock = " FOR UPDATE" if self.dialect == "postgresql" else ""

        def work() -> Lease:
            self._x("INSERT INTO meta (key, value) VALUES (?, '') ON CONFLICT (key) DO NOTHING",
                    (key,))
            row = self._x(f"SELECT value FROM meta WHERE key = ?{lock}", (key,)).fetchone()  # noqa: S608 - constant
            current = Lease.decode(row[0] if row else None)
            if not lease_free(current, token=token, holder=holder, now=now, alive=alive):
                assert current is not None  # noqa: S101 - lease_free(None) is True
                return current
            mine = Lease(holder=holder, token=token, expires=now + timedelta(seconds=ttl))
            self._x("UPDATE meta SET value = ? WHERE key = ?", (mine.encode(), key))
            if current is None or current.token != token:
                self._x("UPDATE outbox SET status = 'pending', claimed_by = NULL "
                        "WHERE status = 'sending'")
            return mine

        return await self._run(lambda: self._tx(work))

    async def release_lease(self, name: str, *, token: str) -> None:
        """Give lease ``name`` up, if ``token`` holds it."""
        key = f"lease:{name}"

        def work() -> None:
            row = self._x("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            current = Lease.decode(row[0] if row else None)
            if current is not None and current.token == token:
                self._x("DELETE FROM meta WHERE key = ?", (key,))

        await self._run(lambda: self._tx(work))

    async def settle(self, item_id: int, *, status: str, now: datetime,
                     next_at: datetime | None = None, error: str | None = None) -> None:
        """Record a delivery attempt: ``sent``, ``pending`` (retry at ``next_at``) or
        ``failed`` (permanent, with ``last_error``)."""
        await self._run(lambda: self._tx(lambda: self._x(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, next_at = ?, "
            "last_error = COALESCE(?, last_error), sent_at = ? WHERE id = ?",
            (status, (next_at or now).timestamp(), error,
             now.timestamp() if status == "sent" else None, item_id))))

    async def outbox_rows(self) -> list[tuple[str, str, int, str | None]]:
        """(dedupe, status, attempts, last_error) of every message, for tests and `once`."""
        return await self._run(lambda: [
            (str(d), str(s), int(a), e) for d, s, a, e in self._x(
                "SELECT dedupe, status, attempts, last_error FROM outbox ORDER BY id"
            ).fetchall()])

    async def put_meta(self, key: str, value: str) -> None:
        """Store a small named value (e.g. the last test-alert outcome)."""
        await self._run(lambda: self._tx(lambda: self._x(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))))

    async def get_meta(self, key: str) -> str | None:
        """A value stored with :meth:`put_meta`, or None."""
        row = await self._run(lambda: self._x("SELECT value FROM meta WHERE key = ?",
                                              (key,)).fetchone())
        return None if row is None else str(row[0])

    # ---- retention -----------------------------------------------------------------------

    async def prune(self, now: datetime, *, raw_retention: timedelta,
                    retention: timedelta) -> int:
        """Fold results older than ``raw_retention`` into hourly roll-ups; drop roll-ups
        older than ``retention`` and delivered outbox rows older than a week. Returns the
        number of result rows folded."""
        cut = (now - raw_retention).timestamp()
        oldest = (now - retention).timestamp()

        def work() -> int:
            rows = self._x(
                "SELECT check_name, CAST(at AS BIGINT) - (CAST(at AS BIGINT) % 3600) AS hour, "
                "COUNT(*), "
                "SUM(CASE WHEN ok = 0 THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN ok IS NULL THEN 1 ELSE 0 END), "
                "COALESCE(SUM(latency_ms), 0), COUNT(latency_ms) "
                "FROM results WHERE at < ? GROUP BY check_name, hour", (cut,)).fetchall()
            for name, hour, runs, fails, unknown, lsum, ln in rows:
                self._x("INSERT INTO rollups (check_name, hour, runs, failures, unknown, "
                        "latency_sum, latency_n) VALUES (?, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (check_name, hour) DO UPDATE SET "
                        "runs = rollups.runs + excluded.runs, "
                        "failures = rollups.failures + excluded.failures, "
                        "unknown = rollups.unknown + excluded.unknown, "
                        "latency_sum = rollups.latency_sum + excluded.latency_sum, "
                        "latency_n = rollups.latency_n + excluded.latency_n",
                        (name, float(hour), int(runs), int(fails or 0), int(unknown or 0),
                         float(lsum), int(ln)))
            self._x("DELETE FROM results WHERE at < ?", (cut,))
            self._x("DELETE FROM rollups WHERE hour < ?", (oldest,))
            self._x("DELETE FROM outbox WHERE status <> 'pending' AND created < ?",
                    ((now - timedelta(days=7)).timestamp(),))
            return sum(int(r[2]) for r in rows)

        return await self._run(lambda: self._tx(work))

    # ---- StatusSource --------------------------------------------------------------------

    async def results(self, check: str) -> list[ResultRow]:
        """Every stored raw result of ``check``, oldest first."""
        def work() -> list[ResultRow]:
            rows = self._x("SELECT at, ok, latency_ms, cause, location FROM results "
                           "WHERE check_name = ? ORDER BY at, id", (check,)).fetchall()
            return [ResultRow(check=check, at=_dt(a) or datetime.now(UTC),
                              ok=None if o is None else bool(o), latency_ms=lat, cause=c,
                              location=loc)
                    for a, o, lat, c, loc in rows]

        return await self._run(work)

    async def recent_by_location(self, check: str,
                                 since: datetime) -> dict[str, list[bool | None]]:
        """Each location's results of ``check`` since ``since``, newest first (None: unknown)."""
        def work() -> dict[str, list[bool | None]]:
            rows = self._rx("SELECT location, ok FROM results WHERE check_name = ? AND at >= ? "
                            "ORDER BY at DESC, id DESC", (check, since.timestamp())).fetchall()
            out: dict[str, list[bool | None]] = {}
            for location, ok in rows:
                out.setdefault(location, []).append(None if ok is None else bool(ok))
            return out

        return await self._read(work)

    async def results_after(self, after: int | None,
                            location: str) -> tuple[int, dict[str, bool]]:
        """The known results of other locations than ``location`` written after row id
        ``after``: (the newest id, each check's newest ok). ``after`` None: only the newest
        id, nothing else (a follower starts from now)."""
        def work() -> tuple[int, dict[str, bool]]:
            if after is None:
                row = self._rx("SELECT MAX(id) FROM results").fetchone()
                return (int(row[0]) if row and row[0] is not None else 0), {}
            rows = self._rx("SELECT id, check_name, ok FROM results WHERE id > ? AND "
                            "location <> ? AND ok IS NOT NULL ORDER BY id",
                            (after, location)).fetchall()
            news = {name: bool(ok) for _, name, ok in rows}
            return (int(rows[-1][0]) if rows else after), news

        return await self._read(work)

    async def series(self, check: str, since: datetime) -> list[LatencyPoint]:
        """Results of one check since ``since``, oldest first (unknown results left out)."""
        def work() -> list[LatencyPoint]:
            rows = self._rx("SELECT at, latency_ms, ok FROM results WHERE check_name = ? "
                           "AND at >= ? AND ok IS NOT NULL ORDER BY at",
                           (check, since.timestamp())).fetchall()
            return [LatencyPoint(at=_dt(a) or since, latency_ms=lat, ok=bool(o))
                    for a, lat, o in rows]

        return await self._read(work)

    async def snapshot(self, now: datetime) -> StatusSnapshot:
        """Every check's state, uptimes, recent incidents and latency histograms."""
        def uptime(name: str, days: int) -> float | None:
            since = (now - timedelta(days=days)).timestamp()
            raw = self._rx("SELECT SUM(CASE WHEN ok = 1 THEN 1 ELSE 0 END), COUNT(ok) "
                          "FROM results WHERE check_name = ? AND at >= ?",
                          (name, since)).fetchone()
            rolled = self._rx("SELECT SUM(runs - failures - unknown), SUM(runs - unknown) "
                             "FROM rollups WHERE check_name = ? AND hour >= ?",
                             (name, since)).fetchone()
            good = int(raw[0] or 0) + int(rolled[0] or 0)
            total = int(raw[1] or 0) + int(rolled[1] or 0)
            return good / total if total else None

        def work() -> StatusSnapshot:
            states = {r[0]: r for r in self._rx(
                "SELECT check_name, state, since, runs_total, failures_total, last_latency_ms "
                "FROM states").fetchall()}
            views: list[CheckView] = []
            hists: list[tuple[str, tuple[int, ...], float]] = []
            for name in sorted(set(self.public) | set(states)):
                row = states.get(name)
                views.append(CheckView(
                    name=name, state=CheckState(row[1]) if row else CheckState.UNKNOWN,
                    since=_dt(row[2]) if row else None, public=self.public.get(name, False),
                    last_latency_ms=row[5] if row else None,
                    runs_total=int(row[3]) if row else 0,
                    failures_total=int(row[4]) if row else 0,
                    uptime_24h=uptime(name, 1), uptime_7d=uptime(name, 7),
                    uptime_30d=uptime(name, 30)))
                lat = [float(x[0]) for x in self._rx(
                    "SELECT latency_ms FROM results WHERE check_name = ? AND latency_ms "
                    "IS NOT NULL", (name,)).fetchall()]
                counts = (*tuple(sum(1 for v in lat if v <= b) for b in BOUNDS_MS), len(lat))
                hists.append((name, counts, sum(lat)))
            incidents = [IncidentView(check=c, started=_dt(s) or now, ended=_dt(e), cause=cause,
                                      recovered_while_offline=bool(w))
                         for c, s, e, cause, w in self._rx(
                             "SELECT check_name, started, ended, cause, recovered_while_offline "
                             "FROM incidents ORDER BY started DESC LIMIT 50").fetchall()]
            return StatusSnapshot(generated_at=now, checks=tuple(views),
                                  incidents=tuple(incidents), monitor_state=self.state_note,
                                  histogram_bounds_ms=BOUNDS_MS, histograms=tuple(hists),
                                  locations=per_location() if self.several_locations else ())

        def per_location() -> tuple[LocationResult, ...]:
            rows = self._rx("SELECT r.check_name, r.location, r.ok, r.at FROM results r JOIN "
                            "(SELECT check_name, location, MAX(id) AS id FROM results WHERE "
                            "location <> '' AND at >= ? GROUP BY check_name, location) n "
                            "ON r.id = n.id ORDER BY r.check_name, r.location",
                            ((now - timedelta(days=1)).timestamp(),)).fetchall()
            return tuple(LocationResult(check=c, location=loc, ok=None if o is None else bool(o),
                                        at=_dt(a) or now) for c, loc, o, a in rows)

        return await self._read(work)


PG_DEAD_LINK_S = 10  # a PostgreSQL round trip unanswered this long: the link is gone


def _pg_connect(url: str, timeout: int) -> Any:
    """A PostgreSQL connection that notices a dead link: without TCP keepalives and a user
    timeout, a query sent just before the network to the server went away waits for the
    kernel's retransmissions (about 15 minutes) and the node's writes with it."""
    import psycopg  # noqa: PLC0415

    return psycopg.connect(url, autocommit=True, connect_timeout=timeout, keepalives=1,
                           keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                           tcp_user_timeout=PG_DEAD_LINK_S * 1000)


def _clean(text: str) -> str:
    """Drop anything that looks like a connection URL's credentials from an error text."""
    import re  # noqa: PLC0415

    return re.sub(r"(\w+://)[^@\s/]+@", r"\1***@", text)[:300]


async def open_store(url: str, *, public: dict[str, bool] | None = None,
                     several_locations: bool = False) -> Store:
    """Open (and migrate) the store at ``url``."""
    store = Store(url=url, public=dict(public or {}), several_locations=several_locations)
    try:
        return await store.open()
    except StoreError:
        store._pool.shutdown(wait=False)
        store._read_pool.shutdown(wait=False)
        raise


#: the meta key under which ``launchready monitor test-alert`` records its deliveries
TEST_ALERT_KEY = "test_alert"


def read_test_alert(url: str) -> str | None:
    """The JSON record of the last ``monitor test-alert`` in the store at ``url``, read-only.

    None when the store or the record does not exist yet; :class:`StoreError` (naming only
    the error's type, never the URL) when the store cannot be read.
    """
    try:
        if url.startswith("sqlite:///"):
            return _read_test_alert_sqlite(url.removeprefix("sqlite:///"))
        return _read_test_alert_pg(url)
    except StoreError:
        raise
    except Exception as exc:
        # any driver failure (sqlite3, psycopg, a missing psycopg): the store is unreadable
        raise StoreError(type(exc).__name__) from None


def _read_test_alert_sqlite(path: str) -> str | None:
    if not Path(path).is_file():
        return None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (TEST_ALERT_KEY,)).fetchone()
    except sqlite3.Error:
        return None  # an empty or older store: no record
    finally:
        conn.close()
    return None if row is None else str(row[0])


def _read_test_alert_pg(url: str) -> str | None:
    import psycopg  # noqa: PLC0415 - the postgres extra

    with psycopg.connect(url, connect_timeout=5) as conn:
        conn.read_only = True
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = %s",
                               (TEST_ALERT_KEY,)).fetchone()
        except psycopg.Error:
            return None
    return None if row is None else str(row[0])
