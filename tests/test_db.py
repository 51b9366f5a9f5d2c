"""DB001–DB003 on real SQLite files and a real PostgreSQL server, read-only."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from launchready.checks.db.queries import DatabaseChecks
from launchready.config import load_config_text
from launchready.engine import arun_audit
from launchready.model import CheckStatus, Report
from launchready.probes import Probes
from launchready.probes.db import (
    StatementStat,
    normalize_statement,
    parse_pg_log,
    read_only_problem,
    where_columns,
)
from launchready.probes.files import ProjectFiles
from launchready.report import Format, render
from pgharness import PgServer

QUERY = "SELECT sum(amount) FROM invoices WHERE account_id = 42"


@pytest.mark.parametrize(("sql", "problem"), [
    ("SELECT 1", None),
    ("  with x as (select 1) select * from x;", None),
    ("DELETE FROM invoices", "DELETE is not a read-only statement"),
    ("select 1; drop table invoices", "more than one statement"),
    ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "contains DELETE"),
    ("SELECT 'drop table' AS s", None),  # words inside string literals are data
    ("", "empty statement"),
], ids=["select", "with", "delete", "two-statements", "writing-cte", "literal", "empty"])
def test_read_only_guard(sql: str, problem: str | None) -> None:
    found = read_only_problem(sql)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_normalize_and_where_columns() -> None:
    assert normalize_statement("SELECT * FROM u WHERE email = 'a@b.c' AND id = 42") == \
        "SELECT * FROM u WHERE email = ? AND id = ?"
    assert where_columns("select * from i where account_id = 1 and status in (1) order by x") \
        == ("account_id", "status")


def test_pg_log_parsing_aggregates_and_strips_values() -> None:
    log = [
        "2026-11-27 10:00:00 UTC [1] LOG:  duration: 812.5 ms  statement: SELECT * FROM t\n",
        "\tWHERE email = 'alice@example.com'\n",
        "2026-11-27 10:00:01 UTC [1] LOG:  duration: 1187.5 ms  statement: SELECT * FROM t "
        "WHERE email = 'bob@example.com'\n",
        "garbage line \x00\xff\n",
        "2026-11-27 10:00:02 UTC [1] LOG:  duration: 3.0 ms  execute S_1: SELECT 1\n",
    ]
    stats = {s.text: s for s in parse_pg_log(log)}
    slow = stats["SELECT * FROM t WHERE email = ?"]
    assert (slow.calls, slow.mean_ms) == (2, 1000.0)
    assert "alice" not in str(stats)


# --- SQLite ---------------------------------------------------------------------------------------

def make_sqlite(path: Path, *, indexed: bool, rows: int = 20_000) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, "
        "account_id INTEGER NOT NULL REFERENCES accounts(id), amount INTEGER);")
    conn.executemany("INSERT INTO accounts VALUES (?, ?)", [(i, f"a{i}") for i in range(100)])
    conn.executemany("INSERT INTO invoices (account_id, amount) VALUES (?, ?)",
                     [(i % 100, i) for i in range(rows)])
    if indexed:
        conn.execute("CREATE INDEX ix_invoices_account_id ON invoices(account_id)")
    conn.commit()
    conn.close()


def audit(toml: str, env: dict[str, str]) -> Report:
    config = load_config_text(toml, environ=env)
    return asyncio.run(arun_audit(config, families=[DatabaseChecks()], environ=env))


def sqlite_config(path: Path, *queries: str) -> tuple[str, dict[str, str]]:
    listed = ", ".join(repr(q).replace("'", '"') if '"' not in q else repr(q) for q in queries)
    return (f'[database]\nurl = "${{DATABASE_URL}}"\nqueries = [{listed}]\n',
            {"DATABASE_URL": f"sqlite:///{path}"})


def test_sqlite_full_scan_and_unindexed_fk(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "flawed.db", indexed=False)
    report = audit(*sqlite_config(tmp_path / "flawed.db", QUERY))
    by_rule = {f.rule_id: f for f in report.findings}
    assert set(by_rule) == {"DB002", "DB003"}
    assert "CREATE INDEX ix_invoices_account_id ON invoices (account_id);" in by_rule["DB002"].fix
    assert "CREATE INDEX ix_invoices_account_id ON invoices (account_id);" in by_rule["DB003"].fix


def test_sqlite_indexed_is_clean(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "fixed.db", indexed=True)
    report = audit(*sqlite_config(tmp_path / "fixed.db", QUERY))
    assert report.findings == ()
    assert {c.id: c.status for c in report.checks} == dict.fromkeys(
        ("DB001", "DB002", "DB003"), CheckStatus.PASS)


def test_sqlite_small_table_scan_is_fine(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "small.db", indexed=True, rows=50)
    report = audit(*sqlite_config(tmp_path / "small.db", "SELECT * FROM invoices WHERE amount = 3"))
    assert [f.rule_id for f in report.findings] == []


def test_sqlite_slow_statement_with_analyze(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "t.db", indexed=True)
    toml, env = sqlite_config(tmp_path / "t.db", QUERY)
    # any real statement takes more than a microsecond; nothing takes a minute
    slow = audit(toml + "analyze = true\nslow_ms = 0.001\n", env)
    (finding,) = [f for f in slow.findings if f.rule_id == "DB001"]
    assert "timed (analyze)" in finding.target
    assert "account_id = ?" in finding.evidence
    fast = audit(toml + "analyze = true\nslow_ms = 60000\n", env)
    assert [f.rule_id for f in fast.findings] == []
    # without analyze nothing is executed, so nothing is timed
    assert [f for f in audit(toml + "slow_ms = 0.001\n", env).findings
            if f.rule_id == "DB001"] == []


def test_sqlite_delete_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    db = tmp_path / "ro.db"
    make_sqlite(db, indexed=True, rows=100)
    report = audit(*sqlite_config(db, "DELETE FROM invoices"))
    assert any("refused: DELETE is not a read-only statement" in row[1]
               for t in report.tables for row in t.rows)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM invoices").fetchone()[0] == 100
    conn.close()


def test_slow_query_log_is_read_through_the_files_probe(tmp_path: Path) -> None:
    make_sqlite(tmp_path / "t.db", indexed=True, rows=100)
    toml, env = sqlite_config(tmp_path / "t.db", QUERY)
    log = tmp_path / "pg.log"
    log.write_text("2026-11-27 10:00:00 UTC [1] LOG:  duration: 2400.0 ms  statement: "
                   "SELECT * FROM reports WHERE month = '2026-10'\n", encoding="utf-8")
    # Given a configured log_file, the real reader finds its slow statement (DB001)
    report = audit(toml + f'log_file = "{log}"\nslow_ms = 500\n', env)
    (finding,) = [f for f in report.findings if f.rule_id == "DB001"]
    assert "month = ?" in finding.evidence and "2026-10" not in finding.evidence
    # and a log that is not there is said so, never a clean pass
    report = audit(toml + f'log_file = "{tmp_path / "absent.log"}"\n', env)
    assert [f.title for f in report.findings] == ["Slow-query log unreadable"]

    # When another reader is handed in through Probes.files, the family reads only through it
    class Files(ProjectFiles):
        def pg_log(self, path: str) -> tuple[tuple[StatementStat, ...], str | None]:
            return (), f"read by the test: {path}"

    async def run() -> Report:
        config = load_config_text(toml + 'log_file = "x.log"\n', environ=env)
        probes = Probes.from_network(config.network)
        probes.files = Files()
        try:
            return await arun_audit(config, families=[DatabaseChecks()], environ=env,
                                    probes=probes)
        finally:
            await probes.aclose()

    (evidence,) = [f.evidence for f in asyncio.run(run()).findings]
    assert evidence.startswith("read by the test: ") and evidence.endswith("x.log")


def test_missing_sqlite_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    report = audit(*sqlite_config(tmp_path / "nope.db", QUERY))
    statuses = {c.id: c for c in report.checks}
    assert statuses["DB001"].status is CheckStatus.ERROR
    assert "does not exist" in (statuses["DB001"].error or "")


# --- PostgreSQL -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pg_app(postgres: PgServer) -> PgServer:
    postgres.psql("CREATE DATABASE app")
    postgres.psql("CREATE DATABASE bare")
    postgres.psql(
        "CREATE EXTENSION pg_stat_statements;"
        "CREATE TABLE accounts (id int PRIMARY KEY, name text);"
        "CREATE TABLE invoices (id serial PRIMARY KEY, account_id int NOT NULL "
        "REFERENCES accounts(id), amount int, note text);"
        "CREATE TABLE projects (id serial PRIMARY KEY, account_id int NOT NULL "
        "REFERENCES accounts(id));"
        "CREATE INDEX ix_projects_account_id ON projects (account_id);"
        "INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 200) g;"
        "INSERT INTO invoices (account_id, amount, note) "
        "SELECT 1 + g % 200, g, repeat('x', 40) FROM generate_series(1, 60000) g;"
        "ANALYZE;"
        "CREATE ROLE reader LOGIN PASSWORD 'pw-Reader-0n1y';"
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;"
        "GRANT pg_read_all_stats TO reader;", db="app")
    # the workload, measured from a clean slate: one slow statement (600 ms), some fast ones
    postgres.psql("SELECT pg_stat_statements_reset()", db="app")
    postgres.psql("SELECT pg_sleep(0.6)", db="app")
    for _ in range(3):
        postgres.psql("SELECT count(*) FROM projects", db="app")
    return postgres


def pg_audit(url: str, *queries: str, extra: str = "") -> Report:
    listed = ", ".join(f'"{q}"' for q in queries)
    return audit(f'[database]\nurl = "${{DATABASE_URL}}"\nqueries = [{listed}]\n{extra}',
                 {"DATABASE_URL": url})


def test_pg_slow_statement_scan_and_fk(pg_app: PgServer) -> None:
    url = pg_app.url("app", "reader", "pw-Reader-0n1y")
    report = pg_audit(url, QUERY)
    rules = sorted({f.rule_id for f in report.findings})
    assert rules == ["DB001", "DB002", "DB003"]
    (db001,) = [f for f in report.findings if f.rule_id == "DB001"]
    assert "pg_sleep" in db001.evidence
    db002 = next(f for f in report.findings if f.rule_id == "DB002")
    assert "CREATE INDEX CONCURRENTLY ix_invoices_account_id ON invoices (account_id);" \
        in db002.fix
    db003 = next(f for f in report.findings if f.rule_id == "DB003")
    assert "invoices(account_id) references accounts" in db003.evidence
    # projects.account_id has an index: no DB003 for it
    assert not any("projects" in f.evidence for f in report.findings if f.rule_id == "DB003")
    for fmt in Format:
        assert "pw-Reader-0n1y" not in render(report, fmt)


def test_pg_passes_with_budget_and_index(pg_app: PgServer) -> None:
    pg_app.psql("CREATE INDEX ix_invoices_account_id ON invoices (account_id); ANALYZE invoices",
                db="app")
    try:
        report = pg_audit(pg_app.url("app", "reader", "pw-Reader-0n1y"), QUERY,
                          extra="slow_ms = 5000\n")
        assert report.findings == ()
    finally:
        pg_app.psql("DROP INDEX ix_invoices_account_id", db="app")


def test_pg_delete_is_refused_and_connection_is_read_only(pg_app: PgServer) -> None:
    before = pg_app.psql("SELECT count(*) FROM invoices", db="app").strip()
    report = pg_audit(pg_app.url("app"), "DELETE FROM invoices", extra="analyze = true\n")
    assert any("refused" in row[1] for t in report.tables for row in t.rows)
    assert pg_app.psql("SELECT count(*) FROM invoices", db="app").strip() == before


def test_pg_without_pg_stat_statements_says_how_to_enable(pg_app: PgServer) -> None:
    report = pg_audit(pg_app.url("bare"))
    (finding,) = [f for f in report.findings if f.rule_id == "DB001"]
    assert "shared_preload_libraries" in finding.fix


def test_pg_wrong_password_never_shown(pg_app: PgServer) -> None:
    pg_app.psql("ALTER SYSTEM SET password_encryption = 'scram-sha-256'")
    report = pg_audit(pg_app.url("app", "nobody", "Wr0ng-Secret-Pw"))
    text = "".join(render(report, fmt) for fmt in Format)
    assert "Wr0ng-Secret-Pw" not in text
    assert {c.status for c in report.checks} == {CheckStatus.ERROR}


def test_a_fifo_named_as_the_log_is_refused_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pg.log"
    os.mkfifo(fifo)
    assert ProjectFiles().pg_log(str(fifo)) == ((), f"{fifo} is not a regular file")
