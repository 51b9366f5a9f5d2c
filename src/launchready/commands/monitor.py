"""``launchready monitor``: the uptime monitor daemon, one round, or a test alert.

``launchready monitor`` (or ``monitor run``) runs until SIGTERM/SIGINT: checks on their
intervals, alerts through the configured routes, the status page on ``monitor.listen``.
``monitor once`` runs every check once, stores the results, delivers due alerts and exits
(0 when every check passed, 1 otherwise). ``monitor test-alert`` sends one test message
through every alert route, records the outcome for OBS004 and exits 1 if any route failed.

The daemon refuses to start when a check's worst-case time to alert is over 2 minutes
(OBS003), naming the check and the interval to use.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from datetime import UTC, datetime

from launchready.config.loader import load_config
from launchready.config.models import Config
from launchready.errors import ConfigError, RunError, UsageError
from launchready.monitor.daemon import Monitor
from launchready.monitor.leader import LEADER_LEASE
from launchready.monitor.notify import load_transports, route_label, send_now
from launchready.monitor.store import TEST_ALERT_KEY, Lease, open_store
from launchready.monitor.timing import ALERT_BUDGET_S, too_slow
from launchready.monitor.writer import WRITER_LEASE, writer_lease
from launchready.perf.load import fast_loop_factory
from launchready.pipeline import network_overrides
from launchready.report.text import visible
from launchready.urls import MaskingFormatter

log = logging.getLogger("launchready.monitor")
SECOND_SIGNAL_AFTER_S = 1.0  # a repeated signal within this long is the same request


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``[run|once|test-alert|status]``, ``--database``, ``--listen``, ``--no-web``."""
    parser.add_argument("action", nargs="?", default="run",
                        choices=["run", "once", "test-alert", "status"],
                        help="run the daemon (default), one round, a test alert, or print "
                             "each check's state from the store")
    parser.add_argument("--database", metavar="URL",
                        help="override monitor.database (sqlite:///path or postgresql://...)")
    parser.add_argument("--listen", metavar="ADDR:PORT",
                        help="override monitor.listen (several monitors on one host)")
    parser.add_argument("--no-web", action="store_true", help="do not serve the status page")
    parser.add_argument("--location", metavar="NAME",
                        help="where this node runs: one of monitor.locations (required for "
                             "run/once when more than one location is configured)")


def _listen(config: Config, listen: str | None) -> Config:
    if listen is None or config.monitor is None:
        return config
    host, sep, port = listen.rpartition(":")
    if not sep or not host.strip("[]") or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {listen!r}: expected ADDR:PORT, e.g. 127.0.0.1:8788 "
                         f"(port 0 picks a free one)")
    return config.model_copy(update={"monitor": config.monitor.model_copy(
        update={"listen": listen})})


def location_of(config: Config, name: str | None, action: str) -> str | None:
    """This node's location: ``--location`` checked against ``monitor.locations``.

    With one configured location it is the default; with several, ``run`` and ``once`` must
    say which one this node is, since each node's results are counted separately.
    """
    mon = config.monitor
    known = mon.locations if mon is not None else []
    if name is None:
        if len(known) > 1 and action in ("run", "once"):
            raise UsageError(f"--location is required: monitor.locations lists "
                             f"{', '.join(known)}; start each node with --location NAME")
        return known[0] if len(known) == 1 else None
    if not known:
        raise UsageError(f"--location {name!r}: no [monitor] locations are configured "
                         f"(add locations = [{name!r}, ...] to [monitor])")
    if name not in known:
        raise UsageError(f"--location {name!r} is not in monitor.locations "
                         f"({', '.join(known)})")
    return name


def _since(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "-"
    minutes = int((now - at).total_seconds() // 60)
    return f"{at:%Y-%m-%d %H:%M} UTC ({minutes // 60}h {minutes % 60}m)"


async def status(config: Config, database: str | None = None) -> list[str]:
    """The lines ``monitor status`` prints: who runs the monitor, then each check."""
    mon = config.monitor
    if mon is None:
        return []
    now = datetime.now(UTC)
    store = await open_store(database or mon.database,
                             public={c.name: c.public for c in mon.checks},
                             several_locations=mon.several_locations)
    names = ([("monitor", WRITER_LEASE)] if not mon.several_locations else
             [("leader", LEADER_LEASE)] + [(f"node {loc}", writer_lease(loc, True))
                                           for loc in mon.locations])
    try:
        snap = await store.snapshot(now)
        leases = [(label, Lease.decode(await store.get_meta(f"lease:{name}")))
                  for label, name in names]
    finally:
        await store.close()
    lines = [f"store: {store.label}"]
    for label, lease in leases:
        lines.append(f"{label}: {lease.holder}, lease until "
                     f"{lease.expires:%Y-%m-%d %H:%M:%S} UTC"
                     if lease is not None and lease.expires > now
                     else f"{label}: not running (no live lease on the store)")
    lines.append("")
    width = max((len(c.name) for c in snap.checks), default=5)
    lines.append(f"{'check':<{width}}  {'state':<8}  {'uptime 24h':>10}  since")
    for c in snap.checks:
        uptime = f"{c.uptime_24h * 100:.2f}%" if c.uptime_24h is not None else "-"
        lines.append(f"{c.name:<{width}}  {c.state.value:<8}  {uptime:>10}  "
                     f"{_since(c.since, now)}")
        seen = [f"{r.location} {r.seen} {_since(r.at, now)}"
                 for r in snap.locations if r.check == c.name]
        lines.extend(f"{'':<{width}}  from {text}" for text in seen)
    return lines


def _checked(config: Config) -> Config:
    mon = config.monitor
    if mon is None or not mon.checks:
        raise ConfigError("no monitor checks configured", key="monitor.checks",
                          fix='add [[monitor.checks]] name = "homepage", '
                              'url = "https://app.example.com/"')
    slow = too_slow(mon)
    if slow:
        t = slow[0]
        index = next(i for i, c in enumerate(mon.checks) if c.name == t.name)
        raise ConfigError(
            f"check {t.name!r} could take {t.worst_time_to_alert:.0f}s from outage to alert "
            f"(over {ALERT_BUDGET_S:.0f}s)", key=f"monitor.checks[{index}].interval",
            fix="use a shorter interval or a lower failure_threshold (interval x threshold + "
                "jitter + timeout + 10s delivery" + (" + leader_lease" if t.failover else "")
                + " must stay under 2 minutes)")
    return config


def _logging(args: argparse.Namespace) -> None:
    level = logging.WARNING if getattr(args, "quiet", False) else (
        logging.DEBUG if getattr(args, "verbose", 0) else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


async def serve(monitor: Monitor, stop: asyncio.Event) -> None:
    """Run ``monitor`` until ``stop`` is set, then shut it down within 8 s."""
    try:
        await monitor.start()
    except BaseException:
        await monitor.close()  # sessions and the store, so nothing is left unclosed
        raise
    stopped = asyncio.ensure_future(stop.wait())
    lost = asyncio.ensure_future(monitor.wait_lost())
    await asyncio.wait({stopped, lost}, return_when=asyncio.FIRST_COMPLETED)
    for waiter in (stopped, lost):
        waiter.cancel()
    await monitor.stop(drain=8.0)
    if monitor.fatal is not None:
        raise RunError(monitor.fatal)


def _daemon(config: Config, args: argparse.Namespace, location: str | None) -> int:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        first: list[float] = []

        def on_signal() -> None:
            if first:
                # `timeout` and init shims signal the process and its group at once: the
                # same request twice. A second signal a moment later means "leave now";
                # SQLite's WAL keeps committed data intact.
                if time.monotonic() - first[0] > SECOND_SIGNAL_AFTER_S:
                    os._exit(1)
                return
            first.append(time.monotonic())
            log.info("stopping: draining in-flight checks (up to 8s)")
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        monitor = Monitor(config=config, environ=dict(os.environ), database=args.database,
                          web=not args.no_web, location=location)
        await serve(monitor, stop)

    # the daemon runs on uvloop where it is installed (a default dependency off Windows)
    with asyncio.Runner(loop_factory=fast_loop_factory()) as runner:
        runner.run(main())
    return 0


def _once(config: Config, args: argparse.Namespace, location: str | None) -> int:
    async def main() -> int:
        monitor = Monitor(config=config, environ=dict(os.environ), database=args.database,
                          web=False, location=location)
        try:
            outcomes = await monitor.once()
        finally:
            await monitor.close()
        for name, o in outcomes.items():
            verdict = "ok" if o.ok else "FAIL"
            latency = f" {o.latency_ms:.0f}ms" if o.latency_ms is not None else ""
            extra = " (slow)" if o.slow else ""
            print(visible(f"{name}: {verdict}{latency}{extra}"
                          + (f" — {o.cause}" if o.cause else "")))
        return 0 if all(o.ok for o in outcomes.values()) else 1

    return asyncio.run(main())


async def test_alert(config: Config, database: str | None = None) -> list[tuple[str, bool, str]]:
    """Send a test message through every route; record and return (route, ok, error)."""
    mon = config.monitor
    if mon is None:
        return []
    now = datetime.now(UTC)
    load_transports()
    results: list[tuple[str, bool, str]] = []
    for i, route in enumerate(mon.alerts):
        delivery = await asyncio.to_thread(
            send_now, route.url.get_secret_value(), "[TEST] launchready alert route",
            f"Test message from launchready at {now:%Y-%m-%d %H:%M:%S} UTC: this route works.",
            now)
        results.append((route_label(i, route), delivery.ok, delivery.error))
    store = await open_store(database or mon.database)
    try:
        await store.put_meta(TEST_ALERT_KEY, json.dumps(
            {"at": now.isoformat(), "routes": [
                {"route": r, "ok": ok, "error": err} for r, ok, err in results]}))
    finally:
        await store.close()
    return results


def _test_alert(config: Config, args: argparse.Namespace) -> int:
    mon = config.monitor
    if mon is None or not mon.alerts:
        raise ConfigError("no alert routes configured", key="monitor.alerts",
                          fix='add alerts = [{ url = "${SLACK_ALERT_URL}" }]')
    results = asyncio.run(test_alert(config, args.database))
    for label, ok, error in results:
        print(visible(f"{label}: {'delivered' if ok else 'FAILED — ' + error}"))
    return 0 if all(ok for _, ok, _ in results) else 1


def run(args: argparse.Namespace) -> int:
    """Run the uptime monitor (daemon, one round, or a test alert)."""
    config = _listen(network_overrides(args, load_config(args.config)),
                     getattr(args, "listen", None))
    location = location_of(config, getattr(args, "location", None), args.action)
    _logging(args)
    if args.action == "test-alert":
        return _test_alert(config, args)
    if args.action == "status":
        if config.monitor is None:
            raise ConfigError("no [monitor] section", key="monitor",
                              fix="add a [monitor] section with its checks")
        print("\n".join(asyncio.run(status(config, args.database))))
        return 0
    config = _checked(config)
    if args.action == "once":
        return _once(config, args, location)
    return _daemon(config, args, location)
