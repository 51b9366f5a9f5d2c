"""PERF005 — outbound HTTP calls in the app's code that can wait forever.

What: the app's own source (tests, dependencies and build output left out; see
:mod:`launchready.envcontract.sourcetree`) is parsed — Python with ``ast``, JavaScript and
TypeScript with tree-sitter — and every outbound HTTP call is checked for a timeout:

* Python ``requests`` (module functions and ``Session`` methods) without ``timeout=``: requests
  has no default timeout.
* ``httpx``: a call without a timeout is fine — httpx defaults to 5 seconds — so only an explicit
  ``timeout=None`` (on a call, ``httpx.Client``/``AsyncClient`` or a client method) is reported.
* ``aiohttp.ClientSession(...)``/``aiohttp.request(...)`` without ``timeout=``: the default lets
  one request take 5 minutes.
* ``urllib.request.urlopen(url)`` without ``timeout``: it waits for the socket default (forever).
* JS/TS ``fetch`` without a ``signal`` (fetch never times out on its own) and ``axios`` calls or
  ``axios.create`` instances without ``timeout`` (axios's default 0 means no timeout), unless
  the project sets ``axios.defaults.timeout``.

Calls whose options are passed as a variable or with ``**kwargs``/spread are not judged.

Each JS/TS call is placed on the server or in the browser (:mod:`launchready.envcontract.runtime`:
``"use client"``, React components, ``components/``/``pages/`` outside ``pages/api``, a Vite
app's ``src/`` run in the browser; API routes, middleware, auth callbacks, server components
and ``getServerSideProps`` on the server). A server call keeps medium; a browser call is low,
with browser wording: it hangs one visitor's screen, not a worker.

Why: a third-party API that stops answering holds the request — and the worker — until the
platform kills it; during a sales call the dashboard spins forever, and under load the workers
run out.

Fix: the finding shows the one for its library, e.g. ``requests.get(url, timeout=(3.05, 10))``;
``httpx.Client(timeout=10.0)``; ``aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))``;
``urlopen(url, timeout=10)``; ``fetch(url, { signal: AbortSignal.timeout(10_000) })``;
``axios.create({ timeout: 10_000 })``.

Pass: ``requests.post(url, json=body, timeout=10)``. Fail: ``requests.get(url)``.
Findings carry file, line and column (SARIF shows them on the line); the fingerprint uses the
file, the enclosing function and the call, not the line number.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.envcontract.facts import HttpCall, SourceScan
from launchready.envcontract.runtime import BROWSER
from launchready.model import Finding, Location, Severity, Table

FIXES = {
    "requests": "pass a timeout on every call: {callee}(url, ..., timeout=(3.05, 10)) — "
                "connect and read seconds; a Session has no default timeout, so set it per call",
    "httpx": "give it a finite timeout: httpx.Client(timeout=httpx.Timeout(10.0, connect=3.0)) "
             "or {callee}(..., timeout=10.0); leaving timeout out keeps httpx's 5 s default",
    "aiohttp": "create the session with a total timeout: aiohttp.ClientSession("
               "timeout=aiohttp.ClientTimeout(total=10))",
    "urllib": "pass a timeout: urllib.request.urlopen(url, timeout=10)",
    "fetch": "pass an abort signal: fetch(url, { ...options, signal: AbortSignal.timeout(10_000) "
             "})",
    "axios": "set a timeout: create one instance with axios.create({ timeout: 10_000 }) and use "
             "it everywhere, or pass { timeout: 10_000 } to {callee}(...)",
}


def _describe(call: HttpCall) -> str:
    if call.problem == "timeout-none":
        return f"{call.callee}(...) sets timeout=None, which disables the timeout"
    if call.library == "aiohttp":
        return (f"{call.callee}(...) has no timeout=, so each request may take aiohttp's "
                f"default 5 minutes")
    if call.library == "fetch":
        return f"{call.callee}(...) has no signal, and fetch never times out on its own"
    if call.library == "axios":
        return f"{call.callee}(...) has no timeout, and axios's default (0) waits forever"
    return f"{call.callee}(...) has no timeout, so it waits forever for a silent server"


def evaluate_timeouts(scan: SourceScan) -> Outcome:
    """PERF005 findings for every timeout-less call in ``scan`` (pure)."""
    rule = meta("PERF005")
    seen: Counter[tuple[str, str, str]] = Counter()
    findings: list[Finding] = []
    for call in scan.calls:
        key = (call.path, call.scope, call.callee)
        seen[key] += 1
        browser = call.runtime == BROWSER
        findings.append(make_finding(
            rule, target=f"{call.path} {call.callee}",
            identity=f"{call.scope}|{call.callee}|{call.problem}|{seen[key]}",
            location=Location(path=call.path, line=call.line, column=call.column),
            evidence=f"{call.path}:{call.line}:{call.column} in {call.scope} "
                     f"({'runs in the browser' if browser else 'runs on the server'}): "
                     f"{_describe(call)}",
            impact=("When the API stops answering, this screen spins with no error until the "
                    "visitor gives up; no server worker waits on it." if browser else
                    "When the remote service stops answering, this request hangs the page "
                    "and ties up a server worker until the platform kills it."),
            severity=Severity.LOW if browser else None,
            title="Browser request without a timeout" if browser else None,
            fix=FIXES[call.library].replace("{callee}", call.callee)
            + ("; show an error and a retry button when it aborts" if browser else "")))
    tables: tuple[Table, ...] = ()
    if scan.skipped:
        tables = (Table(title="Skipped while looking for outbound calls",
                        columns=("item", "reason"),
                        rows=tuple((s.item, s.reason) for s in scan.skipped)),)
    return Outcome(findings=tuple(findings), tables=tables)


class OutboundTimeoutChecks(CheckFamily[SourceScan]):
    """PERF005 over the app's Python and JS/TS source."""

    rule_ids = ("PERF005",)
    network = False

    def __init__(self, *, source_paths: Sequence[str | Path] | None = None) -> None:
        """``source_paths`` default to the config file's directory."""
        self.source_paths = tuple(source_paths) if source_paths is not None else None

    def skip_reason(self, ctx: Context) -> str | None:
        if self.source_paths is None and ctx.config.source is None and ctx.config.env is None:
            return "no config file, so no project directory to scan"
        return None

    async def gather(self, ctx: Context) -> SourceScan:
        base = ctx.config.base_dir
        configured = ctx.config.env.source_paths if ctx.config.env else (".",)
        roots = tuple((base / p).resolve() for p in (self.source_paths or tuple(configured)))
        return await asyncio.to_thread(ctx.probes.files.source_scan, roots, base)

    def evaluate(self, obs: SourceScan, ctx: Context) -> Outcome:
        return evaluate_timeouts(obs)
