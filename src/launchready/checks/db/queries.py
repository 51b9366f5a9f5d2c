"""DB001–DB003 — slow statements, full scans and unindexed foreign keys, read-only.

What:
* DB001 — statements whose mean time is over ``[database] slow_ms`` (500 ms by default), from
  ``pg_stat_statements`` (normalised text, no values) or from a PostgreSQL log written with
  ``log_min_duration_statement`` (``[database] log_file``; literals are replaced by ``?``).
  SQLite keeps no statement statistics: with ``analyze = true`` (or ``db --analyze``) the
  listed read-only statements are timed on the read-only connection instead.
  Without ``pg_stat_statements`` the finding says how to enable it.
* DB002 — full scans of large tables (``large_table_rows``, 10,000 by default): in the plans of
  the statements listed in ``[database] queries`` (``EXPLAIN``, never executed unless
  ``analyze = true``), sorts spilling to disk (with ``analyze``), and PostgreSQL tables whose
  counters show mostly sequential scans.
* DB003 — a foreign key whose columns do not start any index: every join on it and every
  delete of a parent row scans the child table.

Why: "the dashboard takes 3–8 s" is usually one query scanning a table that grows with every
customer. A prototype feels fast on ten rows and stalls during the buyer's trial.

Fix: the exact ``CREATE INDEX`` statement for the column(s), ``CONCURRENTLY`` on PostgreSQL so
writes are not blocked while it builds.

Pass: ``SELECT sum(amount) FROM invoices WHERE account_id = 42`` planned as an index search.
Fail: the same statement planned as ``SCAN invoices`` over 50,000 rows (DB002), and
``invoices.account_id REFERENCES accounts`` with no index on ``account_id`` (DB003).

Safety: the connection is read-only (``default_transaction_read_only``), time-limited
(``statement_timeout``); a listed statement that is not a plain read (e.g. ``DELETE``) is
refused before it reaches the database and reported as skipped; the URL's password never
appears in any output.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.errors import ProbeError
from launchready.model import Finding, Table
from launchready.probes.db import DatabaseProbe, DbObservation, ForeignKey, PlanScan

_PSS_HOWTO = ("enable pg_stat_statements: add `shared_preload_libraries = 'pg_stat_statements'` "
              "to postgresql.conf, restart, then `CREATE EXTENSION pg_stat_statements;` in the "
              "app database (managed hosts: turn it on in the provider's parameter group)")


def _index_sql(engine: str, table: str, columns: tuple[str, ...]) -> str:
    bare = table.rsplit(".", 1)[-1]
    name = f"ix_{bare}_{'_'.join(columns)}"
    cols = ", ".join(columns)
    if engine == "postgresql":
        return f"CREATE INDEX CONCURRENTLY {name} ON {table} ({cols});"
    return f"CREATE INDEX {name} ON {table} ({cols});"


class DatabaseChecks(CheckFamily[DbObservation]):
    """DB001–DB003 over ``[database] url`` (PostgreSQL or SQLite)."""

    rule_ids = ("DB001", "DB002", "DB003")

    def skip_reason(self, ctx: Context) -> str | None:
        return None if ctx.config.database else "no [database] section"

    async def gather(self, ctx: Context) -> DbObservation:
        db = ctx.config.database
        if db is None:
            raise ProbeError("no [database] section")
        probe = DatabaseProbe(url=db.url.get_secret_value(), timeout_ms=db.statement_timeout_ms,
                              analyze=db.analyze)
        obs = await probe.observe(list(db.queries))
        if not db.log_file:
            return obs
        logged, problem = await asyncio.to_thread(ctx.probes.files.pg_log, db.log_file)
        return replace(obs, statements=obs.statements + logged, log_problem=problem)

    def evaluate(self, obs: DbObservation, ctx: Context) -> Outcome:
        db = ctx.config.database
        if db is None:
            return Outcome()
        findings: list[Finding] = []
        findings.extend(_slow_statements(obs, db.slow_ms))
        findings.extend(_full_scans(obs, db.large_table_rows))
        findings.extend(_unindexed_fks(obs))
        rows = [(p.statement[:80], "refused: " + p.refused if p.refused else
                 ("error: " + p.error if p.error else
                  ("full scan of " + ", ".join(s.table for s in p.full_scans)
                   if p.full_scans else "uses indexes")))
                for p in obs.plans]
        tables = (Table(title=f"Query plans ({obs.target})", columns=("statement", "plan"),
                        rows=tuple(rows)),) if rows else ()
        return Outcome(findings=tuple(findings), tables=tables)


def _slow_statements(obs: DbObservation, slow_ms: float) -> list[Finding]:
    rule = meta("DB001")
    out = []
    for st in obs.statements:
        if st.mean_ms <= slow_ms:
            continue
        out.append(make_finding(
            rule, target=f"{obs.target} ({st.source})", identity=st.text,
            evidence=f"mean {st.mean_ms:.0f} ms over {st.calls} calls "
                     f"(budget {slow_ms:.0f} ms): {st.text[:200]}",
            impact="Every page that runs this statement waits this long; under a buyer's "
                   "trial traffic it queues and times out.",
            fix="Run EXPLAIN (ANALYZE, BUFFERS) on it with real parameters, add the index its "
                "WHERE/JOIN columns need (CREATE INDEX CONCURRENTLY ...), or cache/precompute "
                "the result; list it under [database] queries so DB002 shows its plan."))
    if obs.engine == "postgresql" and obs.stat_statements == "missing" and not obs.statements:
        out.append(make_finding(
            rule, target=obs.target, identity="pg_stat_statements-missing",
            title="Slow statements cannot be measured",
            severity=rule.severity,
            evidence="pg_stat_statements is not installed or not preloaded, and no log_file "
                     "is configured",
            impact="Slow queries stay invisible until a buyer hits them.",
            fix=f"To {_PSS_HOWTO}; or set log_min_duration_statement = 500 and point "
                "[database] log_file at the log."))
    if obs.log_problem:
        out.append(make_finding(
            rule, target=obs.target, identity="log-unreadable",
            title="Slow-query log unreadable", evidence=obs.log_problem,
            impact="Slow statements in the log cannot be checked.",
            fix="Point [database] log_file at a readable PostgreSQL log file."))
    return out


def _scan_fix(engine: str, scan: PlanScan) -> str:
    if scan.filter_columns:
        return (f"Add an index for the filtered column(s): "
                f"`{_index_sql(engine, scan.table, scan.filter_columns)}` — the planner then "
                "reads the matching rows instead of the whole table.")
    return (f"Add an index on the columns {scan.table} is filtered or joined on, or limit the "
            "statement (pagination, a narrower WHERE).")


def _full_scans(obs: DbObservation, large: int) -> list[Finding]:
    rule = meta("DB002")
    sizes = {t.name: t.rows for t in obs.tables}
    sizes.update({t.name.rsplit(".", 1)[-1]: t.rows for t in obs.tables})
    out = []
    for plan in obs.plans:
        for scan in plan.full_scans:
            rows = sizes.get(scan.table, int(scan.rows or 0))
            if rows < large:
                continue
            out.append(make_finding(
                rule, target=f"{obs.target} query", identity=f"{plan.statement}|{scan.table}",
                evidence=f"full scan of {scan.table} (~{rows:,} rows) in: {plan.statement[:200]}",
                impact="The statement reads the whole table on every call, so it slows down "
                       "with every new customer.",
                fix=_scan_fix(obs.engine, scan)))
        for spill in plan.spills:
            out.append(make_finding(
                rule, target=f"{obs.target} query", identity=f"{plan.statement}|spill",
                title="Sort spills to disk", evidence=f"{spill} in: {plan.statement[:200]}",
                impact="Sorting on disk multiplies the statement's time.",
                fix="Add an index matching the ORDER BY, or raise work_mem for this query."))
    for t in obs.tables:
        seq, idx = t.seq_scans or 0, t.idx_scans or 0
        if t.rows >= large and seq > max(10, idx):
            out.append(make_finding(
                rule, target=f"{obs.target} table {t.name}", identity=f"table|{t.name}",
                title="Sequential scans dominate on a large table",
                evidence=f"{t.name}: {t.rows:,} rows, {seq} sequential vs {idx} index scans",
                impact="Most reads of this table scan all of it.",
                fix="Find the statements reading it (pg_stat_statements ORDER BY total time), "
                    "list them under [database] queries, and index their WHERE columns."))
    return out


def _unindexed_fks(obs: DbObservation) -> list[Finding]:
    rule = meta("DB003")
    return [make_finding(
        rule, target=f"{obs.target} table {fk.table}",
        identity=f"{fk.table}({','.join(fk.columns)})",
        evidence=f"{fk.table}({', '.join(fk.columns)}) references {fk.ref_table} and no index "
                 "starts with these columns",
        impact="Joins from the parent and deletes of parent rows scan the whole child table.",
        fix=_fk_fix(obs.engine, fk))
        for fk in obs.foreign_keys if not fk.indexed]


def _fk_fix(engine: str, fk: ForeignKey) -> str:
    return (f"`{_index_sql(engine, fk.table, fk.columns)}` — joins on it become index "
            "lookups and parent deletes stop scanning the table.")
