"""Database probe: read-only, time-limited observations of PostgreSQL or SQLite.

Nothing here writes. PostgreSQL sessions run with ``default_transaction_read_only = on`` and a
``statement_timeout``; SQLite files are opened with ``mode=ro``. Statements the user lists are
only EXPLAINed (never executed) unless ``analyze`` is set, and anything that is not a plain
read (``SELECT``/``WITH``/``VALUES``/``TABLE``) is refused before it reaches the database.
The connection URL (and its password) never appears in an observation or an error.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from launchready.errors import ProbeConnectError, ProbeError

#: longer log lines are read in pieces (a statement's text is never that long)
_MAX_LOG_LINE = 1 << 20
_WRITE_WORDS = re.compile(
    r"\b(insert|update|delete|merge|truncate|drop|alter|create|grant|revoke|copy|call|do|"
    r"vacuum|reindex|cluster|lock|refresh|set|reset|begin|commit|rollback|prepare|execute|"
    r"attach|detach|pragma|replace)\b", re.IGNORECASE)
_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$])-?\d+(?:\.\d+)?\b")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def read_only_problem(sql: str) -> str | None:
    """Why ``sql`` is not a plain read-only statement, or None when it is."""
    text = _COMMENT.sub(" ", _STRING.sub("''", sql)).strip().rstrip(";").strip()
    if not text:
        return "empty statement"
    if ";" in text:
        return "more than one statement"
    first = text.split(None, 1)[0].lower()
    if first not in ("select", "with", "values", "table"):
        return f"{first.upper()} is not a read-only statement"
    word = _WRITE_WORDS.search(text)
    if word:
        return f"contains {word.group(1).upper()}, which may write"
    return None


def normalize_statement(sql: str) -> str:
    """Replace literals with ``?`` and fold white space (no values leave the database)."""
    text = _NUMBER.sub("?", _STRING.sub("?", sql))
    return re.sub(r"\s+", " ", text).strip()[:500]


@dataclass(frozen=True, kw_only=True)
class StatementStat:
    """Timing of one normalised statement."""

    text: str
    calls: int
    mean_ms: float
    total_ms: float
    rows: int | None
    source: str  # "pg_stat_statements" | "log"


@dataclass(frozen=True, kw_only=True)
class TableStat:
    """Size and scan counters of one table."""

    name: str
    rows: int
    seq_scans: int | None = None
    seq_rows_read: int | None = None
    idx_scans: int | None = None


@dataclass(frozen=True, kw_only=True)
class ForeignKey:
    """A foreign key and whether an index starts with its columns."""

    table: str
    columns: tuple[str, ...]
    ref_table: str
    indexed: bool


@dataclass(frozen=True, kw_only=True)
class PlanScan:
    """A full scan found in a query plan."""

    table: str
    rows: float | None
    filter_columns: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class QueryPlan:
    """The plan of one listed statement (or why there is none)."""

    statement: str  # normalised
    refused: str | None = None
    error: str | None = None
    full_scans: tuple[PlanScan, ...] = ()
    spills: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DbObservation:
    """Everything the DB checks judge."""

    engine: str  # "postgresql" | "sqlite"
    target: str  # URL without credentials
    stat_statements: str = "n/a"  # "ok" | "missing" | "n/a"
    statements: tuple[StatementStat, ...] = ()
    tables: tuple[TableStat, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    plans: tuple[QueryPlan, ...] = ()
    log_problem: str | None = None


def redacted_url(url: str) -> str:
    """The URL with user and password removed."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return url
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def where_columns(sql: str) -> tuple[str, ...]:
    """Columns compared in a statement's WHERE clause (for an index suggestion)."""
    m = re.search(r"\bwhere\b(.*?)(\bgroup\s+by\b|\border\s+by\b|\blimit\b|$)", sql, re.I | re.S)
    if not m:
        return ()
    found = re.findall(r"(?:\b\w+\.)?\b([A-Za-z_]\w*)\s*(?:=|<|>|<=|>=|\bin\b|\bis\b|\blike\b)",
                       m.group(1), re.I)
    keywords = {"and", "or", "not", "null", "true", "false"}
    return tuple(dict.fromkeys(c for c in found if c.lower() not in keywords))


# --- PostgreSQL logs ----------------------------------------------------------------------------

_LOG_LINE = re.compile(r"duration: (?P<ms>\d+(?:\.\d+)?) ms\s+(?:statement|execute [^:]*): "
                       r"(?P<sql>.*)")


def parse_pg_log(lines: Iterable[str]) -> tuple[StatementStat, ...]:
    """Aggregate ``log_min_duration_statement`` entries by normalised statement."""
    totals: dict[str, list[float]] = defaultdict(list)
    current: list[str] | None = None
    current_ms = 0.0

    def flush() -> None:
        if current is not None:
            totals[normalize_statement(" ".join(current))].append(current_ms)

    for raw in lines:
        line = raw.rstrip("\n")
        m = _LOG_LINE.search(line)
        if m:
            flush()
            current, current_ms = [m.group("sql")], float(m.group("ms"))
        elif current is not None and line.startswith(("\t", " ")):
            current.append(line.strip())
        else:
            flush()
            current = None
    flush()
    return tuple(StatementStat(text=text, calls=len(ms), mean_ms=sum(ms) / len(ms),
                               total_ms=sum(ms), rows=None, source="log")
                 for text, ms in sorted(totals.items()))


# --- SQLite -------------------------------------------------------------------------------------

def _sqlite_path(url: str) -> str:
    # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy writes them
    return unquote(url.removeprefix("sqlite:///"))


def _sqlite_observe(url: str, queries: list[str], timeout_ms: int,
                    analyze: bool = False) -> DbObservation:
    path = _sqlite_path(url)
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout_ms / 1000)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        tables = tuple(TableStat(name=n, rows=_sqlite_rows(conn, n)) for n in names)
        fks = tuple(fk for n in names for fk in _sqlite_fks(conn, n))
        plans = tuple(_sqlite_plan(conn, q) for q in queries)
        timed = tuple(_sqlite_time(conn, q, timeout_ms) for q in queries
                      if analyze and read_only_problem(q) is None)
    finally:
        conn.close()
    return DbObservation(engine="sqlite", target=url, tables=tables, foreign_keys=fks,
                         plans=plans, statements=tuple(t for t in timed if t is not None))


def _sqlite_time(conn: sqlite3.Connection, sql: str, timeout_ms: int,
                 runs: int = 3) -> StatementStat | None:
    """Run a read-only statement a few times on the read-only connection and time it.

    SQLite has no statement statistics, so with ``analyze`` the listed statements are timed
    (the file is opened ``mode=ro``: nothing can write). A statement over the timeout is
    interrupted and counted at the timeout.
    """
    deadline = [0.0]

    def stop() -> int:
        return 1 if time.perf_counter() > deadline[0] else 0

    conn.set_progress_handler(stop, 10_000)
    took: list[float] = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            deadline[0] = started + timeout_ms / 1000
            try:
                conn.execute(sql).fetchmany(1000)
            except sqlite3.OperationalError:
                took.append(float(timeout_ms))
                break
            took.append((time.perf_counter() - started) * 1000)
    except sqlite3.Error:
        return None
    finally:
        conn.set_progress_handler(None, 0)
    return StatementStat(text=normalize_statement(sql), calls=len(took),
                         mean_ms=sum(took) / len(took), total_ms=sum(took), rows=None,
                         source="timed (analyze)")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_rows(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0])  # noqa: S608


def _sqlite_fks(conn: sqlite3.Connection, table: str) -> Iterator[ForeignKey]:
    index_heads: list[tuple[str, ...]] = []
    for idx in conn.execute(f"PRAGMA index_list({_quote(table)})"):
        cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({_quote(idx[1])})"))
        index_heads.append(cols)
    pk = tuple(r[1] for r in sorted(conn.execute(f"PRAGMA table_info({_quote(table)})"),
                                    key=lambda r: r[5]) if r[5])
    if pk:
        index_heads.append(pk)
    groups: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})"):
        groups[row[0]].append(row)
    for rows in groups.values():
        cols = tuple(r[3] for r in sorted(rows, key=lambda r: r[1]))
        yield ForeignKey(table=table, columns=cols, ref_table=rows[0][2],
                         indexed=any(h[:len(cols)] == cols for h in index_heads))


def _sqlite_plan(conn: sqlite3.Connection, sql: str) -> QueryPlan:
    problem = read_only_problem(sql)
    text = normalize_statement(sql)
    if problem:
        return QueryPlan(statement=text, refused=problem)
    try:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    except sqlite3.Error as exc:
        return QueryPlan(statement=text, error=str(exc))
    scans = []
    for row in rows:
        detail = str(row[-1])
        # "SCAN t" is a full scan; "SCAN t USING (COVERING) INDEX" walks an index
        m = re.match(r"SCAN (?:TABLE )?(\w+)(?: AS \w+)?$", detail)
        if m:
            scans.append(PlanScan(table=m.group(1), rows=None, filter_columns=where_columns(sql)))
    return QueryPlan(statement=text, full_scans=tuple(scans))


# --- PostgreSQL ---------------------------------------------------------------------------------

_PG_FK_SQL = """
SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,
       array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
       EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.conrelid
               AND (x.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)
FROM pg_constraint c WHERE c.contype = 'f'
ORDER BY 1, 3
"""
_PG_TABLES_SQL = """
SELECT schemaname || '.' || relname, n_live_tup, seq_scan, seq_tup_read, idx_scan
FROM pg_stat_user_tables ORDER BY 1
"""
_PG_STATEMENTS_SQL = """
SELECT query, calls, mean_exec_time, total_exec_time, rows FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query NOT ILIKE '%pg_stat_statements%'
ORDER BY mean_exec_time DESC LIMIT 50
"""


def _pg_observe(url: str, queries: list[str], timeout_ms: int, analyze: bool) -> DbObservation:
    import psycopg  # noqa: PLC0415 - optional dependency, loaded only for PostgreSQL URLs

    options = (f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms} "
               f"-c lock_timeout={timeout_ms}")
    with psycopg.connect(url, connect_timeout=max(1, timeout_ms // 1000), options=options,
                         autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")
        has_pss = cur.fetchone() is not None
        statements: tuple[StatementStat, ...] = ()
        if has_pss:
            try:
                cur.execute(_PG_STATEMENTS_SQL)
                statements = tuple(
                    StatementStat(text=normalize_statement(str(q)), calls=int(c),
                                  mean_ms=float(m), total_ms=float(t), rows=int(r),
                                  source="pg_stat_statements")
                    for q, c, m, t, r in cur.fetchall())
            except psycopg.Error:
                has_pss = False  # installed but not preloaded
        cur.execute(_PG_TABLES_SQL)
        tables = tuple(TableStat(name=n, rows=int(r or 0), seq_scans=s, seq_rows_read=sr,
                                 idx_scans=i) for n, r, s, sr, i in cur.fetchall())
        cur.execute(_PG_FK_SQL)
        fks = tuple(ForeignKey(table=t, ref_table=rt, columns=tuple(cols), indexed=bool(ix))
                    for t, rt, cols, ix in cur.fetchall())
        plans = tuple(_pg_plan(conn, q, analyze) for q in queries)
    return DbObservation(engine="postgresql", target=redacted_url(url),
                         stat_statements="ok" if has_pss else "missing",
                         statements=statements, tables=tables, foreign_keys=fks, plans=plans)


def _pg_plan(conn: Any, sql: str, analyze: bool) -> QueryPlan:
    import psycopg  # noqa: PLC0415

    problem = read_only_problem(sql)
    text = normalize_statement(sql)
    if problem:
        return QueryPlan(statement=text, refused=problem)
    verb = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)" if analyze else "EXPLAIN (FORMAT JSON)"
    try:
        with conn.transaction():
            row = conn.execute(f"{verb} {sql}").fetchone()
    except psycopg.Error as exc:
        return QueryPlan(statement=text, error=type(exc).__name__ + ": " +
                         str(exc).splitlines()[0][:200])
    doc = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    scans: list[PlanScan] = []
    spills: list[str] = []
    _walk(doc[0]["Plan"], scans, spills)
    return QueryPlan(statement=text, full_scans=tuple(scans), spills=tuple(spills))


def _walk(node: dict[str, Any], scans: list[PlanScan], spills: list[str]) -> None:
    if node.get("Node Type") == "Seq Scan":
        cols = tuple(dict.fromkeys(re.findall(r"\(?(\w+) (?:=|<|>|<=|>=|~~) ",
                                              str(node.get("Filter", "")))))
        scans.append(PlanScan(table=str(node.get("Relation Name")),
                              rows=float(node.get("Plan Rows", 0)), filter_columns=cols))
    if str(node.get("Sort Method", "")).startswith("external"):
        spills.append(f"sort spilled to disk ({node.get('Sort Space Used', '?')} kB)")
    for child in node.get("Plans", []):
        _walk(child, scans, spills)


class DatabaseProbe:
    """Observes one database read-only; ``observe`` never returns credentials."""

    def __init__(self, *, url: str, timeout_ms: int = 5000, analyze: bool = False) -> None:
        self._url = url
        self._timeout_ms = timeout_ms
        self._analyze = analyze

    @property
    def target(self) -> str:
        """The URL without credentials."""
        return redacted_url(self._url)

    async def observe(self, queries: list[str]) -> DbObservation:
        """Gather statistics, foreign keys and plans of ``queries``; a database that cannot be
        read raises :class:`ProbeError` (never with the password)."""
        try:
            return await self._observe(queries)
        except FileNotFoundError as exc:
            raise ProbeError(f"SQLite database {exc.args[0]} does not exist") from None
        except (sqlite3.Error, OSError) as exc:
            raise ProbeError(f"cannot read {self.target}: {type(exc).__name__}") from None
        except Exception as exc:
            # psycopg errors: keep the first line, never the URL or its password
            if not type(exc).__module__.startswith("psycopg"):
                raise
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            password = urlsplit(self._url).password
            if password:
                first = first.replace(password, "****")
            raise ProbeConnectError(f"cannot connect to {self.target}: {first}") from None

    async def _observe(self, queries: list[str]) -> DbObservation:
        if self._url.startswith("sqlite://"):
            return await asyncio.to_thread(_sqlite_observe, self._url, queries,
                                           self._timeout_ms, self._analyze)
        return await asyncio.to_thread(_pg_observe, self._url, queries, self._timeout_ms,
                                       self._analyze)
