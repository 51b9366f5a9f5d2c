"""Run the smoke flow over HTTP: one cookie jar, captures, expectations, timing, logout replay.

:func:`run_flow` is shared by the SMOKE checks, ``launchready smoke``, the monitor (a check with
``flow = "smoke"``) and perf (``auth = "smoke"`` reuses :attr:`FlowResult.session`).

How a run goes
    * Steps run in order against ``base_url``. ``${name}`` in a step's path, headers and body is
      filled from earlier captures, ``${RUN_ID}`` (fresh per run) and, for names in capitals
      that the config loader left alone (flows built in code), the environment.
    * One cookie jar per flow (RFC 6265 matching by aiohttp's ``CookieJar``); cookies are only
      ever sent to the flow's own origin.
    * Each step's expectations are judged on its response; a step without ``expect`` must
      answer below 400. A ``time`` expectation that fails is a budget miss (SMOKE004), any
      other failure is a failed step (SMOKE002, or SMOKE001 for the login step).
    * When the login step fails, the later steps are not run: they would only fail for the
      same reason.
    * After the logout step passes, the last authenticated GET before it is replayed with the
      exact cookies and credential headers it carried. A 2xx answer means the server did not end
      the session (SMOKE003).

Redirects are not followed unless a step sets ``follow_redirects = true``; then at most
:data:`MAX_REDIRECTS` hops are followed by hand, only to http(s) URLs, and a hop to another
origin carries no cookies, no credential headers and no body (a 307/308 that would re-send a
body to another origin is refused) — the class of leak behind CVE-2023-32681.

Privacy: request and response bodies are never kept in a result; for login and logout steps (and
any step whose body carries a credential field) expectations on the body and headers report
only pass/fail. Every string a result holds passes through a :class:`~.masking.Masker` that
knows the flow's credentials, captured values and session cookies.
"""

from __future__ import annotations

import enum
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
from yarl import URL

from launchready.config.captures import references
from launchready.config.expect import Expectation, ResponseFacts, check, parse_expectation
from launchready.config.models import SmokeConfig, SmokeStep
from launchready.errors import ConfigError
from launchready.probes.http import (
    DEFAULT_MAX_BODY,
    HttpProbe,
    HttpResponse,
    Request,
    follow_redirects,
    origin_of,
)
from launchready.smoke.extract import CapturedResponse, extract
from launchready.smoke.masking import (
    MIN_CAPTURED,
    Masker,
    is_credential_header,
    is_credential_key,
)

__all__ = ["MAX_REDIRECTS", "ExpectationResult", "FlowResult", "Replay", "Role", "Session",
           "StepHook", "StepResult", "new_run_id", "run_flow"]

MAX_REDIRECTS = 5
#: judged when a step lists no expectations
DEFAULT_EXPECTATION = parse_expectation("status < 400")
_HIDDEN = "not shown (auth step)"
#: what an expectation on the body says when the body was longer than the probe reads
NOT_JUDGED = (f"not judged: the response body is longer than the {DEFAULT_MAX_BODY >> 20} MiB "
              "the probe reads")
_REF_CHARS = "${"


class Role(enum.StrEnum):
    """What a step is for in the flow."""

    LOGIN = "login"
    LOGOUT = "logout"
    STEP = "step"


@dataclass(frozen=True, kw_only=True)
class ExpectationResult:
    """One expectation as judged on one response; ``seen`` is masked and never a body."""

    expectation: str
    ok: bool
    seen: str
    timing: bool


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """The outcome of one step. Holds no request or response body."""

    name: str
    index: int
    role: Role
    method: str
    target: str  # base_url + the path as configured (stable: ${...} not filled in)
    url: str = ""  # the URL requested, masked
    ran: bool = True
    skip_reason: str | None = None
    status: int | None = None
    elapsed_ms: float = 0.0
    error: str | None = None
    checks: tuple[ExpectationResult, ...] = ()
    captured: tuple[str, ...] = ()
    missing_captures: tuple[str, ...] = ()
    redirects: int = 0
    authenticated: bool = False
    sensitive: bool = False
    via: str = "http"  # or "browser": method is then the action (GOTO, FILL, CLICK, ...)

    @property
    def failures(self) -> tuple[ExpectationResult, ...]:
        """Failed expectations other than time budgets."""
        return tuple(c for c in self.checks if not c.ok and not c.timing)

    @property
    def slow(self) -> tuple[ExpectationResult, ...]:
        """Failed time budgets."""
        return tuple(c for c in self.checks if not c.ok and c.timing)

    @property
    def failed(self) -> bool:
        """True when the step ran and did not do its job (time budgets aside)."""
        return self.ran and (self.error is not None or bool(self.failures)
                             or bool(self.missing_captures))

    @property
    def unjudged(self) -> bool:
        """True when the step failed only because its body was too long to judge."""
        return (self.ran and self.error is None and bool(self.failures)
                and all(c.seen == NOT_JUDGED for c in self.failures))

    @property
    def passed(self) -> bool:
        """True when the step ran, did its job and kept its time budgets."""
        return self.ran and not self.failed and not self.slow


@dataclass(frozen=True, kw_only=True)
class Replay:
    """The post-logout replay of an authenticated GET."""

    step: str
    url: str
    status: int | None
    elapsed_ms: float
    error: str | None = None

    @property
    def session_alive(self) -> bool:
        """True when the server still accepted the logged-out session."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, kw_only=True)
class Session:
    """The authenticated session, for reuse by perf and the monitor (values never shown)."""

    origin: str
    cookies: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def headers_for(self, url: str) -> dict[str, str]:
        """Headers that authenticate a request to ``url``; none for another origin."""
        if origin_of(url) != origin_of(self.origin):
            return {}
        out = dict(self.headers)
        if self.cookies:
            out["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies)
        return out

    def __repr__(self) -> str:
        return (f"Session(origin={self.origin!r}, cookies={len(self.cookies)}, "
                f"headers={[k for k, _ in self.headers]!r})")


@dataclass(frozen=True, kw_only=True)
class FlowResult:
    """Everything one run of the flow observed."""

    base_url: str
    run_id: str
    steps: tuple[StepResult, ...]
    login: str | None = None
    logout: str | None = None
    replay: Replay | None = None
    replay_skipped: str | None = None
    session: Session | None = None
    unreachable: str | None = None

    def step(self, name: str) -> StepResult:
        """The result of the step called ``name``."""
        return next(s for s in self.steps if s.name == name)


def new_run_id() -> str:
    """A fresh id for ``${RUN_ID}``: sortable time prefix plus randomness."""
    return f"{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


class _Missing(Exception):
    """A ``${name}`` has no value; ``skip`` when an earlier capture failed."""

    def __init__(self, message: str, *, skip: bool) -> None:
        super().__init__(message)
        self.skip = skip


@dataclass(kw_only=True)
class _Prepared:
    url: str
    headers: dict[str, str]
    json_body: Any
    form: dict[str, str] | None
    sensitive: bool


@dataclass(kw_only=True)
class _Exchange:
    response: HttpResponse
    elapsed_ms: float
    redirects: int
    sent_headers: dict[str, str]
    authenticated: bool
    error: str | None = None


@dataclass
class _Flow:
    """The mutable state of one run (never leaves this module)."""

    http: HttpProbe
    environ: Mapping[str, str]
    base: str
    values: dict[str, str]
    masker: Masker = field(default_factory=Masker)
    jar: aiohttp.CookieJar = field(default_factory=lambda: aiohttp.CookieJar(unsafe=True))
    capturers: dict[str, str] = field(default_factory=dict)  # capture name -> step name

    # ---- filling in ${name} -------------------------------------------------------------

    def _fill(self, text: str, step: SmokeStep) -> str:
        if _REF_CHARS not in text:
            return text
        out = text
        for name in sorted(references(text)):
            if name in self.values:
                value = self.values[name]
            elif name in self.capturers:
                raise _Missing(f"needs ${{{name}}}, which step {self.capturers[name]!r} did "
                               f"not capture", skip=True)
            elif name.isupper() and name in self.environ:
                value = self.environ[name]
            else:
                raise _Missing(f"step {step.name!r} uses ${{{name}}}, which has no value "
                               f"(no capture and no environment variable of that name)",
                               skip=False)
            out = out.replace(f"${{{name}}}", value)
        return out

    def _fill_body(self, value: Any, step: SmokeStep, key: str = "") -> Any:
        if isinstance(value, str):
            filled = self._fill(value, step)
            if key and is_credential_key(key):
                self.masker.add(filled)
            return filled
        if isinstance(value, dict):
            return {k: self._fill_body(v, step, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._fill_body(v, step, key) for v in value]
        return value

    def preload_secrets(self, steps: list[SmokeStep]) -> None:
        """Know every credential the flow will send before the first response arrives."""
        for step in steps:
            for key, value in parse_qsl(urlsplit(step.path).query):
                if is_credential_key(key) and _REF_CHARS not in value:
                    self.masker.add(value)  # ?token=... in a path is a credential too
            try:
                self._fill_body(step.json_body, step)
                self._fill_body(step.form, step)
                for name, raw in step.headers.items():
                    if is_credential_header(name):
                        self.masker.add(self._fill(raw, step))
            except _Missing:
                continue  # depends on a capture: registered when the step is prepared

    def prepare(self, step: SmokeStep, role: Role) -> _Prepared:
        headers: dict[str, str] = {}
        for name, raw in step.headers.items():
            value = self._fill(raw, step)
            if is_credential_header(name):
                self.masker.add(value)
                _, _, token = value.partition(" ")
                self.masker.add(token, min_length=MIN_CAPTURED)
            headers[name] = value
        json_body = self._fill_body(step.json_body, step)
        form = self._fill_body(step.form, step) if step.form is not None else None
        return _Prepared(url=self.base + self._fill(step.path, step), headers=headers,
                         json_body=json_body, form=form,
                         sensitive=role is not Role.STEP or _has_credential(step))

    # ---- cookies ------------------------------------------------------------------------

    def cookie_header(self, url: str) -> str | None:
        if origin_of(url) != origin_of(self.base):
            return None
        cookies = self.jar.filter_cookies(URL(url))
        if not cookies:
            return None
        return "; ".join(f"{k}={m.value}" for k, m in cookies.items())

    def store_cookies(self, response: HttpResponse) -> None:
        if origin_of(response.url) != origin_of(self.base):
            return  # another origin's cookies are neither kept nor ever sent
        for value in response.header_all("set-cookie"):
            parsed: SimpleCookie = SimpleCookie()
            try:
                parsed.load(value)
            except CookieError:
                continue
            for morsel in parsed.values():
                self.masker.add(morsel.value, min_length=MIN_CAPTURED)
            self.jar.update_cookies(parsed, URL(response.url))

    def session(self, headers: Mapping[str, str]) -> Session:
        cookies = self.jar.filter_cookies(URL(self.base + "/"))
        creds = tuple((k, v) for k, v in headers.items()
                      if is_credential_header(k) and k.lower() != "cookie")
        return Session(origin=self.base, cookies=tuple((k, m.value) for k, m in cookies.items()),
                       headers=creds)

    # ---- one request, redirects by hand -------------------------------------------------

    async def exchange(self, step: SmokeStep, prepared: _Prepared) -> _Exchange:
        sent: list[dict[str, str]] = []

        async def send(request: Request) -> HttpResponse:
            # the jar adds only the cookies of the hop's own host
            headers = dict(request.headers)
            cookie = self.cookie_header(request.url)
            if cookie:
                headers["Cookie"] = "; ".join(x for x in (headers.get("Cookie"), cookie) if x)
            sent.append(headers)
            response = await self.http.send(replace(request, headers=headers))
            self.store_cookies(response)
            return response

        # credentials and bodies never travel to another origin (probes.http's one policy)
        creds = {k: v for k, v in prepared.headers.items() if is_credential_header(k)}
        first = Request(url=prepared.url, method=step.method, json=prepared.json_body,
                        data=prepared.form, headers={k: v for k, v in prepared.headers.items()
                                                     if k not in creds})
        chain = await follow_redirects(send, first, credentials=creds, origin=self.base,
                                       max_redirects=MAX_REDIRECTS,
                                       follow=step.follow_redirects)
        error = chain.refused or ("redirect loop" if chain.loop else None) or (
            f"more than {MAX_REDIRECTS} redirects" if chain.capped else None)
        return _Exchange(response=chain.final, redirects=len(chain.hops) - 1,
                         elapsed_ms=sum(r.elapsed_ms for r in chain.hops), sent_headers=sent[0],
                         authenticated=any(is_credential_header(k) for k in sent[0]),
                         error=error)

    # ---- judging ------------------------------------------------------------------------

    def judge(self, step: SmokeStep, response: HttpResponse, elapsed_ms: float,
              sensitive: bool) -> tuple[ExpectationResult, ...]:
        facts = ResponseFacts(status=response.status, elapsed_ms=elapsed_ms,
                              headers=_lower_headers(response), body=response.text)
        out = []
        for exp in step.expect or [DEFAULT_EXPECTATION]:
            if response.truncated and exp.subject in ("body", "json"):
                out.append(ExpectationResult(expectation=self.masker.mask(exp.source), ok=False,
                                             timing=False, seen=NOT_JUDGED))
                continue
            ok, seen = check(exp, facts)
            out.append(ExpectationResult(
                expectation=self.masker.mask(exp.source), ok=ok, timing=exp.subject == "time",
                seen=_HIDDEN if sensitive and _reveals(exp) else self.masker.mask(seen)))
        return tuple(out)

    def capture(self, step: SmokeStep, response: HttpResponse
                ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        got: list[str] = []
        missing: list[str] = []
        facts = CapturedResponse(headers=response.headers, body=response.text)
        for name, spec in step.capture.items():
            value = extract(spec, facts)
            if value is None and spec.source == "cookie":
                jar_value = self.jar.filter_cookies(URL(self.base + "/")).get(spec.path)
                value = jar_value.value if jar_value is not None else None
            self.capturers[name] = step.name
            if value is None:
                self.values.pop(name, None)
                missing.append(f"{name} ({spec})")
                continue
            self.masker.add(value, min_length=MIN_CAPTURED)
            self.values[name] = value
            got.append(name)
        return tuple(got), tuple(missing)


def _reveals(exp: Expectation) -> bool:
    return exp.subject in ("json", "body", "header")


def _lower_headers(response: HttpResponse) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in response.headers:
        out.setdefault(k.lower(), v)
    return out


def _has_credential(step: SmokeStep) -> bool:
    def walk(value: Any, key: str = "") -> bool:
        if isinstance(value, dict):
            return any(walk(v, str(k)) for k, v in value.items())
        if isinstance(value, list):
            return any(walk(v, key) for v in value)
        return bool(key) and is_credential_key(key)

    return walk(step.json_body) or walk(step.form)


def _role(index: int, login: int | None, logout: int | None) -> Role:
    if index == login:
        return Role.LOGIN
    if index == logout:
        return Role.LOGOUT
    return Role.STEP


StepHook = Callable[[StepResult], None]


async def run_flow(config: SmokeConfig, *, http: HttpProbe, environ: Mapping[str, str],
                   run_id: str, base_url: str | None = None, stop_before_logout: bool = False,
                   on_step: StepHook | None = None) -> FlowResult:
    """Run the flow once and return per-step results and the authenticated session.

    ``base_url`` overrides ``config.base_url``. ``stop_before_logout`` ends the run before the
    logout step, so :attr:`FlowResult.session` stays valid (perf uses this). ``on_step`` is
    called after every step, for progress output. Network outcomes never raise; a flow without
    a base URL is a :class:`~launchready.errors.ConfigError`.
    """
    base = (base_url or config.base_url or "").rstrip("/")
    if not base:
        raise ConfigError("the smoke flow has no base URL", key="smoke.base_url",
                          fix="set smoke.base_url (or app.canonical)")
    flow = _Flow(http=http, environ=environ, base=base, values={"RUN_ID": run_id})
    flow.preload_secrets(config.steps)
    login_i, logout_i = config.login_index(), config.logout_index()
    results: list[StepResult] = []
    halted: str | None = None
    unreachable: str | None = None
    last_get: tuple[str, str, dict[str, str]] | None = None  # step, url, headers sent
    session: Session | None = None
    last_headers: dict[str, str] = {}

    def emit(result: StepResult) -> None:
        results.append(result)
        if on_step is not None:
            on_step(result)

    for index, step in enumerate(config.steps):
        role = _role(index, login_i, logout_i)
        base_fields: dict[str, Any] = {"name": step.name, "index": index, "role": role,
                                       "method": step.method,
                                       "target": flow.masker.mask(base + step.path)}
        if stop_before_logout and role is Role.LOGOUT:
            break
        if halted is not None:
            emit(StepResult(**base_fields, ran=False, skip_reason=halted))
            continue
        if role is Role.LOGOUT:
            session = flow.session(last_headers)
        try:
            prepared = flow.prepare(step, role)
        except _Missing as exc:
            message = flow.masker.mask(str(exc))
            # a login that cannot even be sent has failed; another step waits on its input
            skip = exc.skip and role is not Role.LOGIN
            emit(StepResult(**base_fields, ran=not skip, skip_reason=message if skip else None,
                            error=None if skip else message))
            if role is Role.LOGIN:
                halted = f"not run: the login step {step.name!r} failed"
            continue
        exchange = await flow.exchange(step, prepared)
        response = exchange.response
        error = exchange.error or response.error
        checks: tuple[ExpectationResult, ...] = ()
        captured: tuple[str, ...] = ()
        missing: tuple[str, ...] = ()
        if response.status is not None:
            checks = flow.judge(step, response, exchange.elapsed_ms, prepared.sensitive)
            captured, missing = flow.capture(step, response)
        elif (all(not r.ran for r in results) and response.error is not None
              and response.error.startswith("connect:")):
            # nothing answered yet and no TCP connection: the flow cannot be judged at all
            unreachable = flow.masker.mask(f"{prepared.url}: {response.error}")
        result = StepResult(
            **base_fields, url=flow.masker.mask(prepared.url), status=response.status,
            elapsed_ms=exchange.elapsed_ms,
            error=flow.masker.mask(error) if error else None, checks=checks,
            captured=captured, missing_captures=missing, redirects=exchange.redirects,
            authenticated=exchange.authenticated, sensitive=prepared.sensitive)
        emit(result)
        if unreachable is not None:
            halted = "not run: the site could not be reached"
        elif role is Role.LOGIN and result.failed:
            halted = f"not run: the login step {step.name!r} failed"
        if result.authenticated and role is not Role.LOGOUT:
            last_headers = exchange.sent_headers
        after_login = login_i is None or index > login_i
        if (step.method == "GET" and after_login and result.authenticated
                and (logout_i is None or index < logout_i)
                and response.status is not None and 200 <= response.status < 300):
            last_get = (step.name, prepared.url, exchange.sent_headers)

    login_failed = any(r.role is Role.LOGIN and r.failed for r in results)
    if session is None and not login_failed and unreachable is None:
        session = flow.session(last_headers)
    replay, replay_skipped = await _replay(flow, results, logout_i, last_get,
                                           stopped=stop_before_logout)
    return FlowResult(
        base_url=base, run_id=run_id, steps=tuple(results),
        login=config.steps[login_i].name if login_i is not None else None,
        logout=config.steps[logout_i].name if logout_i is not None else None,
        replay=replay, replay_skipped=replay_skipped, session=session,
        unreachable=unreachable)


async def _replay(flow: _Flow, results: list[StepResult], logout_i: int | None,
                  last_get: tuple[str, str, dict[str, str]] | None, *, stopped: bool
                  ) -> tuple[Replay | None, str | None]:
    if stopped:
        return None, "the run stopped before logout"
    if logout_i is None:
        return None, ('no logout step: name a step "logout" or set logout = true on it')
    logout = next((r for r in results if r.index == logout_i), None)
    if logout is None or not logout.ran:
        return None, "the logout step did not run"
    if logout.failed:
        return None, f"the logout step {logout.name!r} failed"
    if last_get is None:
        return None, ("no authenticated GET step passed between login and logout, so there "
                      "was nothing to replay")
    name, url, headers = last_get
    # Replay exactly what the logged-in GET carried, including the pre-logout cookie: a
    # browser would have dropped it, an attacker who copied it would not.
    response = await flow.http.fetch(url, headers=headers)
    return Replay(step=name, url=flow.masker.mask(url), status=response.status,
                  elapsed_ms=response.elapsed_ms,
                  error=flow.masker.mask(response.error) if response.error else None), None
