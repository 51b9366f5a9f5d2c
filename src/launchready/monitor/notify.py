"""Alert delivery: apprise for the transports, a persisted outbox for retries.

Every alert is first written to the store's outbox in the same transaction as the state change
that caused it; this module only delivers what is there. Delivery is **at least once**: a crash
between "the provider said 200" and "marked sent" re-sends that one message after the restart
(never loses it; RELIABILITY 17). Per attempt:

* success -> ``sent``;
* HTTP 4xx other than 408/429 -> ``failed`` at once with ``last_error`` (a wrong token or a
  deleted webhook does not heal by retrying; RELIABILITY 16), logged once;
* HTTP 429 -> retried no sooner than its ``Retry-After`` (30 s when absent; RELIABILITY 15);
* HTTP 5xx, timeouts, connection and SMTP errors -> retried with exponential backoff and
  jitter (5 s, 10 s, 20 s ... capped at 5 min) for up to ``RETRY_BUDGET`` (RELIABILITY 14).

Routes are independent: one slow or rate-limited route never delays another's messages.

Grouping (RELIABILITY 19, alertmanager's ``group_wait``): with a ``group_window``, a new message
is held until the oldest waiting message of its route is that old, and everything due for the
route then goes out as ONE message (:func:`digest`): 500 checks failing together are one
message per route naming them, not 500. Each queued row keeps its own retry state. When the
store itself is failing, :meth:`Outbox.deliver_now` sends from memory, grouped the same way.
Plain JSON webhooks are posted by :mod:`~launchready.monitor.webhook`, which reads the HTTP
status and ``Retry-After`` of each attempt; every other route goes through apprise, whose
plugins' log lines give the HTTP status of a failed request (no ``Retry-After``: a 429 there
waits the default 30 s). Route URLs are credentials: they appear nowhere but in the
call to apprise; logs name a route by its ``name`` or number and scheme.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import re
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from launchready.config.models import AlertRoute
from launchready.monitor.alertmanager import alertmanager_target, alerts
from launchready.monitor.store import Message, OutboxItem, Store, StoreError
from launchready.monitor.webhook import Answer, Webhook, plain_webhook, post, post_json

log = logging.getLogger("launchready.monitor")

RETRY_BUDGET = timedelta(hours=1)
MAX_ATTEMPTS = 30  # bounds a message's retries across restarts too
BASE_DELAY_S = 5.0
MAX_DELAY_S = 300.0
DEFAULT_RETRY_AFTER_S = 30.0
DIGEST_LINES = 20  # messages quoted in full (first line) in a digest; the rest by name
DIGEST_NAMES = 200  # names listed after those; beyond, a count
DUE_BATCH = 2000  # due messages read per flush (a burst of 500 checks x 4 routes fits)


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One attempt's outcome."""

    ok: bool
    status: int | None = None  # last HTTP status seen, when the transport is HTTP
    retry_after: float | None = None  # seconds, from Retry-After
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What to do with a message after an attempt (pure; see :func:`plan`)."""

    status: str  # sent | pending | failed
    delay: float | None = None  # seconds until the next attempt (pending)
    error: str | None = None


def plan(d: Delivery, *, attempts: int, elapsed: float,
         rand: Callable[[], float] = random.random) -> Plan:
    """Decide the next step for a message whose attempt number ``attempts + 1`` ended as
    ``d``, ``elapsed`` seconds (monotonic) after its first attempt.

    Our own backoff gives up once it would pass ``RETRY_BUDGET`` or ``MAX_ATTEMPTS``. A
    provider's ``Retry-After`` is honoured even beyond the budget (capped at the budget
    itself): the provider said when it will listen, so the alert waits instead of being
    dropped after one attempt."""
    if d.ok:
        return Plan(status="sent")
    error = d.error or (f"HTTP {d.status}" if d.status else "delivery failed")
    if d.status is not None and 400 <= d.status < 500 and d.status not in (408, 429):
        return Plan(status="failed", error=f"{error} (permanent; not retried)")
    gave_up = Plan(status="failed", error=f"{error} (gave up after {attempts + 1} attempts)")
    if attempts + 1 >= MAX_ATTEMPTS:
        return gave_up
    delay = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** attempts) * (0.8 + 0.4 * rand())
    asked = d.retry_after if d.retry_after is not None else (
        DEFAULT_RETRY_AFTER_S if d.status == 429 else None)
    if asked is not None and asked > delay:
        return Plan(status="pending", delay=min(asked, RETRY_BUDGET.total_seconds()),
                    error=error)
    if elapsed + delay > RETRY_BUDGET.total_seconds():
        return gave_up
    return Plan(status="pending", delay=delay, error=error)


def route_label(index: int, route: AlertRoute) -> str:
    """How logs and reports name a route: never its URL."""
    scheme = route.url.get_secret_value().split(":", 1)[0]
    return f"{route.name} ({scheme})" if route.name else f"route #{index + 1} ({scheme})"


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def _kind(title: str) -> str:
    """``"[DOWN] api"`` -> ``"DOWN"``."""
    if title.startswith("[") and "]" in title:
        return title[1:title.index("]")]
    return "ALERT"


def _subject(title: str) -> str:
    """``"[DOWN] api"`` -> ``"api"``."""
    return title.split("] ", 1)[1] if title.startswith("[") and "] " in title else title


def digest(parts: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(title, body) of one message standing for several (title, body) messages, in order.

    One message is returned unchanged. Several give a count per kind in the title
    (``[DOWN] 50 checks``), the first line of the first ``DIGEST_LINES`` messages, and the
    names of the rest (up to ``DIGEST_NAMES``, then a count)."""
    if len(parts) == 1:
        return parts[0]
    kinds: dict[str, int] = {}
    for title, _ in parts:
        kinds[_kind(title)] = kinds.get(_kind(title), 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in kinds.items())
    title = (f"[{next(iter(kinds))}] {len(parts)} checks" if len(kinds) == 1
             else f"[ALERTS] {len(parts)} messages ({summary})")
    lines = [f"{len(parts)} alerts within the grouping window ({summary}):", ""]
    lines += [f"- {(body.splitlines() or [t])[0]}" for t, body in parts[:DIGEST_LINES]]
    rest = [_subject(t) for t, _ in parts[DIGEST_LINES:]]
    if rest:
        more = f" and {len(rest) - DIGEST_NAMES} more" if len(rest) > DIGEST_NAMES else ""
        lines += ["", f"Also {_kind(parts[DIGEST_LINES][0]) if len(kinds) == 1 else 'affected'}"
                      f": {', '.join(rest[:DIGEST_NAMES])}{more}."]
    return title, "\n".join(lines)


# apprise reports only success or failure, but its plugins log each failed request's status
# ("... error=503."). apprise runs service calls on its own worker threads and copies the
# caller's context into them, so a context variable tells which log records belong to which
# send; records are only read, never shown (they may name the provider's host).
_recording: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "launchready_alert_statuses", default=None)
_STATUS = re.compile(r"error=(\d{3})\b")
_setup_lock = threading.Lock()
_set_up = False


class _StatusRecorder(logging.Handler):
    """Notes the HTTP statuses apprise logs while this module is sending."""

    def emit(self, record: logging.LogRecord) -> None:
        seen = _recording.get()
        if seen is None:
            return
        with contextlib.suppress(Exception):
            found = _STATUS.search(record.getMessage())
            if found:
                seen.append(int(found.group(1)))


def _quiet_apprise() -> None:
    """apprise's own log lines may carry route details: they go to the recorder only."""
    global _set_up  # noqa: PLW0603 - one handler per process, added on first use
    with _setup_lock:
        if _set_up:
            return
        logger = logging.getLogger("apprise")
        logger.setLevel(logging.WARNING)
        logger.propagate = False
        logger.addHandler(_StatusRecorder())
        _set_up = True


def load_transports() -> None:
    """Import apprise and its plugins once, on the calling (main) thread.

    apprise loads plugins lazily; its e-mail plugin imports an optional PGP helper that
    touches the deprecated ``imghdr`` module. Importing here, with that one third-party
    deprecation silenced, keeps the warning out of delivery threads (where warning filters
    cannot be changed safely).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import apprise  # noqa: PLC0415

        apprise.Apprise().add("mailto://localhost?to=nobody@localhost")
    _quiet_apprise()


def _delivered(answer: Answer, now: datetime) -> Delivery:
    if answer.status is not None and 200 <= answer.status < 300:
        return Delivery(ok=True, status=answer.status)
    return Delivery(ok=False, status=answer.status,
                    retry_after=_retry_after(answer.retry_after, now), error=answer.error)


def send_alerts(target: Webhook, parts: Sequence[tuple[str, str]], now: datetime) -> Delivery:
    """Post (title, body) messages to Alertmanager's v2 API, one alert each."""
    return _delivered(post_json(target, alerts(parts, now)), now)


def send_now(url: str, title: str, body: str, now: datetime) -> Delivery:
    """One synchronous delivery (call it in a thread after :func:`load_transports`): plain
    JSON webhooks by :mod:`~launchready.monitor.webhook`, Alertmanager by
    :mod:`~launchready.monitor.alertmanager`, every other route by apprise."""
    hook = plain_webhook(url)
    if hook is not None:
        return _delivered(post(hook, title, body), now)
    target = alertmanager_target(url)
    if target is not None:
        return send_alerts(target, [(title, body)], now)
    import apprise  # noqa: PLC0415

    _quiet_apprise()
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return Delivery(ok=False, status=400, error="the URL is not one apprise understands")
    statuses: list[int] = []
    token = _recording.set(statuses)
    try:
        # the body is plain text that may quote the target ("saw <script>..."): declared as
        # text, apprise escapes it for HTML transports (e-mail) instead of rendering it
        ok = bool(notifier.notify(title=title, body=body,
                                  body_format=apprise.NotifyFormat.TEXT))
    except Exception as exc:
        # a plugin bug must not stop the outbox; it is retried like a transport error
        return Delivery(ok=False, error=f"notifier error: {type(exc).__name__}")
    finally:
        _recording.reset(token)
    if ok:
        return Delivery(ok=True)
    if statuses:
        # apprise does not pass Retry-After on: a 429 waits the default
        return Delivery(ok=False, status=statuses[-1], error=f"HTTP {statuses[-1]}")
    return Delivery(ok=False, error="could not reach the provider (connection, timeout or "
                                    "SMTP error)")


@dataclass
class Outbox:
    """Delivers due outbox messages; run :meth:`run` as a task, or :meth:`flush` once."""

    store: Store
    routes: Sequence[AlertRoute]
    clock: Callable[[], datetime]
    sender: Callable[[str, str, str, datetime], Delivery] = send_now
    wake: asyncio.Event | None = None
    group_window: float = 0.0  # seconds a new message waits for others to join it
    claimer: str = "outbox"  # recorded on the rows this outbox claims
    # Scheduling runs on the monotonic clock (RELIABILITY 8): a wall-clock step moves no
    # retry, hold or budget. Wall times are written for people only.
    mono: Callable[[], float] = time.monotonic
    _held_until: float | None = None  # when the earliest held group may go (monotonic)
    _seen: dict[int, float] = field(default_factory=dict)  # row -> first seen (monotonic)
    _next: dict[int, float] = field(default_factory=dict)  # row -> next attempt (monotonic)

    def _first_sight(self, item: OutboxItem, now: datetime, mono: float) -> None:
        """Note a row this process has not seen: due now, or, when a previous run was
        backing it off, after what is left of that delay (never more than the longest
        backoff, whatever the wall clock did meanwhile)."""
        self._seen[item.id] = mono
        if item.attempts and item.next_at is not None:
            left = (item.next_at - now).total_seconds()
            self._next[item.id] = mono + min(max(0.0, left), MAX_DELAY_S)

    async def _send(self, cfg: AlertRoute, parts: list[tuple[str, str]]) -> Delivery:
        """One attempt for a route's group: one digest message, or for Alertmanager one
        alert per message in one request (Alertmanager groups them itself)."""
        url = cfg.url.get_secret_value()
        target = alertmanager_target(url)
        if target is not None:
            return await asyncio.to_thread(send_alerts, target, parts, self.clock())
        title, body = digest(parts)
        return await asyncio.to_thread(self.sender, url, title, body, self.clock())

    def due_in(self) -> float | None:
        """Seconds until the earliest known retry, or None when none is waiting."""
        if not self._next:
            return None
        return max(0.0, min(self._next.values()) - self.mono())

    async def flush(self, *, wait: bool = True) -> int:
        """Attempt every due message once, one (grouped) message per route; return how many
        queued messages were attempted. ``wait=False`` sends held groups at once."""
        now, mono = self.clock(), self.mono()
        self._held_until = None
        if not self.store.is_open:
            return 0  # the daemon delivers from memory until the store opens
        try:
            pending = await self.store.pending(limit=DUE_BATCH)
        except StoreError as exc:
            log.warning("outbox: cannot read the store: %s", exc)
            return 0
        known = {i.id for i in pending}
        for gone in [k for k in self._seen if k not in known]:  # settled or claimed elsewhere
            self._seen.pop(gone, None)
            self._next.pop(gone, None)
        items = []
        for item in pending:
            if item.id not in self._seen:
                self._first_sight(item, now, mono)
            if self._next.get(item.id, mono) <= mono:
                items.append(item)
        by_route: dict[int, list[OutboxItem]] = {}
        for item in items:
            by_route.setdefault(item.route, []).append(item)
        sent = await asyncio.gather(*(self._deliver_route(r, its, wait=wait)
                                      for r, its in by_route.items()))
        return sum(sent)

    def _hold(self, items: list[OutboxItem], now: float) -> bool:
        """Whether this route's group is still gathering (and note when it may go)."""
        if self.group_window <= 0:
            return False
        ready = min(self._seen.get(i.id, now) for i in items) + self.group_window
        if ready <= now:
            return False
        self._held_until = ready if self._held_until is None else min(self._held_until, ready)
        return True

    async def _deliver_route(self, route: int, items: list[OutboxItem], *, wait: bool) -> int:
        if not 0 <= route < len(self.routes):
            for item in items:
                await self.store.settle(item.id, status="failed", now=self.clock(),
                                        error="the alert route was removed from the config")
            return len(items)
        if wait and self._hold(items, self.mono()):
            return 0
        # compare-and-set: a row another process (or a previous attempt) claimed is not sent
        claimed = await self.store.claim([i.id for i in items], self.claimer)
        items = [i for i in items if i.id in claimed]
        if not items:
            return 0
        cfg = self.routes[route]
        delivery = await self._send(cfg, [(i.title, i.body) for i in items])
        now, mono = self.clock(), self.mono()
        label = route_label(route, cfg)
        steps = [plan(delivery, attempts=i.attempts, elapsed=mono - self._seen.get(i.id, mono))
                 for i in items]
        for status in ("failed", "pending"):
            hit = [s for s in steps if s.status == status]
            if not hit:
                continue
            what = f"{len(hit)} messages" if len(hit) > 1 else "1 message"
            if status == "failed":
                # logged, never notified: a failing route must not feed back into alerts
                log.error("alert route %s: %s (%s)", label, hit[0].error, what)
            elif hit[0].delay is not None:
                log.warning("alert route %s: %s; retrying %s in %.0fs", label, hit[0].error,
                            what, hit[0].delay)
        for item, step in zip(items, steps, strict=True):
            if step.delay is not None:
                self._next[item.id] = mono + step.delay
            else:
                self._next.pop(item.id, None)
            try:
                await self.store.settle(
                    item.id, status=step.status, now=now, error=step.error,
                    next_at=None if step.delay is None else now + timedelta(seconds=step.delay))
            except StoreError as exc:
                log.warning("outbox: cannot record a delivery: %s", exc)
        return len(items)

    async def deliver_now(self, messages: Sequence[Message]) -> set[str]:
        """Send ``messages`` without the store (it is failing): one attempt, one grouped
        message per route. Returns the ``dedupe`` keys delivered; the rest stay with the
        caller, to be queued in the outbox once the store is writable again."""
        by_route: dict[int, list[Message]] = {}
        for m in messages:
            if 0 <= m.route < len(self.routes):
                by_route.setdefault(m.route, []).append(m)
        delivered: set[str] = set()

        async def one(route: int, group: list[Message]) -> None:
            cfg = self.routes[route]
            delivery = await self._send(cfg, [(m.title, m.body) for m in group])
            if delivery.ok:
                delivered.update(m.dedupe for m in group)
            else:
                log.warning("alert route %s: %s (sent from memory; tried again later)",
                            route_label(route, cfg), delivery.error or "delivery failed")

        await asyncio.gather(*(one(r, g) for r, g in by_route.items()))
        return delivered

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, waking on :attr:`wake`, the next due time or the end
        of a grouping window."""
        wake = self.wake or asyncio.Event()
        while not stop.is_set():
            await self.flush()
            delay = 1.0  # new rows also arrive through `wake`; this bounds a missed one
            nxt = self.due_in()
            if nxt is not None:
                delay = min(delay, nxt)
            if self._held_until is not None:
                # what is due now is the held group itself: sleep until it may go
                delay = min(delay, self._held_until - self.mono())
            delay = max(0.05, delay)
            wake.clear()
            waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
            done, pending = await asyncio.wait(waiters, timeout=delay,
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in pending | done:
                task.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
