"""The session of the web checks that need one (WEB006, WEB009, cookies): a fixed credential
from ``[web]``, or the smoke flow's JSON login replayed.

The config is read through :class:`AuthSections`, the part of ``[web]`` and ``[smoke]`` a
session needs, so tests may hand in small stand-ins; a section or a step flag that is absent
counts as unset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from launchready.checks.web._headers import parse_set_cookie
from launchready.checks.web._urls import site_url
from launchready.probes.http import HttpProbe, HttpResponse


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class WebAuthSection(Protocol):
    """``[web]``: a fixed credential and the paths it opens."""

    @property
    def auth_header(self) -> _Secret | str | None: ...

    @property
    def auth_cookie(self) -> _Secret | str | None: ...

    @property
    def auth_paths(self) -> Sequence[str]: ...


class LoginStep(Protocol):
    """A ``[[smoke.steps]]`` entry (``login``/``logout`` flags may be absent)."""

    @property
    def name(self) -> str: ...

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def json_body(self) -> Any: ...


class SmokeSection(Protocol):
    """``[smoke]``: where the flow runs and its steps."""

    @property
    def base_url(self) -> str | None: ...

    @property
    def steps(self) -> Sequence[LoginStep]: ...


class AuthSections(Protocol):
    """The config sections a session is built from (either may be absent)."""

    @property
    def web(self) -> WebAuthSection | None: ...

    @property
    def smoke(self) -> SmokeSection | None: ...


@dataclass(frozen=True, kw_only=True)
class JsonLogin:
    """A login done with one JSON POST whose answer sets the session cookie(s)."""

    path: str
    payload: Any
    method: str = "POST"


@dataclass(frozen=True, kw_only=True)
class LoginResult:
    """The login response and the cookies it set (name -> value, deletions left out)."""

    response: HttpResponse
    cookies: Mapping[str, str]

    @property
    def ok(self) -> bool:
        """True when the login answered 2xx and set at least one cookie."""
        status = self.response.status
        return status is not None and 200 <= status < 300 and bool(self.cookies)

    def cookie_header(self) -> dict[str, str]:
        """A ``Cookie`` request header carrying the captured session."""
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}


async def json_login(probe: HttpProbe, base: str, login: JsonLogin) -> LoginResult:
    """POST ``login.payload`` as JSON to ``login.path`` and capture the ``Set-Cookie`` session."""
    resp = await probe.fetch(site_url(base, login.path), method=login.method,
                             json=login.payload, headers={"Accept": "application/json"})
    cookies: dict[str, str] = {}
    for line in resp.header_all("set-cookie"):
        cookie = parse_set_cookie(line)
        if cookie is not None and not cookie.deletes:
            cookies[cookie.name] = cookie.value
    return LoginResult(response=resp, cookies=cookies)


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    raw = getter() if callable(getter) else value
    return raw if isinstance(raw, str) and raw.strip() else None


@dataclass(frozen=True, kw_only=True)
class AuthPlan:
    """How the web checks authenticate: fixed headers, a login to perform, and what to read."""

    headers: Mapping[str, str] = field(default_factory=dict)
    login: JsonLogin | None = None
    paths: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        """True when there is a credential or a login to get one."""
        return bool(self.headers) or self.login is not None


def auth_plan(config: AuthSections, *, headers: Mapping[str, str] | None = None,
              paths: Sequence[str] | None = None, login: JsonLogin | None = None,
              environ: Mapping[str, str] | None = None) -> AuthPlan:
    """Resolve the credential: constructor values, then ``[web]``, then the smoke login step.

    ``[web] auth_header = "Name: value"`` and ``auth_cookie = "name=value"`` give a fixed
    credential; ``[web] auth_paths`` lists authenticated paths. Without them, a smoke step named
    or pathed like a login with a JSON body is replayed, and the smoke flow's later GET steps are
    the authenticated paths.
    """
    web = getattr(config, "web", None)
    fixed: dict[str, str] = dict(headers or {})
    if not fixed and web is not None:
        line = _secret(getattr(web, "auth_header", None))
        if line and ":" in line:
            name, _, value = line.partition(":")
            fixed[name.strip()] = value.strip()
        cookie = _secret(getattr(web, "auth_cookie", None))
        if cookie:
            fixed["Cookie"] = cookie.strip()
    wanted = list(paths or ())
    if not wanted and web is not None:
        wanted = [str(p) for p in getattr(web, "auth_paths", None) or ()]
    smoke_login, smoke_paths = smoke_session(config, environ or {})
    chosen = login or (None if fixed else smoke_login)
    if not wanted:
        wanted = list(smoke_paths)
    return AuthPlan(headers=fixed, login=chosen, paths=tuple(dict.fromkeys(wanted)))


def _is_login(step: LoginStep, flagged: bool) -> bool:
    """A smoke step that logs in with a JSON POST: marked ``login = true``, else by its name."""
    method = str(getattr(step, "method", "GET")).upper()
    if method != "POST" or getattr(step, "json_body", None) is None:
        return False
    mark = getattr(step, "login", None)
    if flagged or mark is not None:
        return mark is True
    name = str(getattr(step, "name", "")).lower()
    path = str(getattr(step, "path", "")).lower()
    return "login" in name or "sign" in name or "login" in path or "session" in path


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill_env(value: Any, environ: Mapping[str, str]) -> Any:
    """Fill ``${NAME}`` references the config left for run time (smoke credentials)."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: environ.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [fill_env(v, environ) for v in value]
    if isinstance(value, dict):
        return {k: fill_env(v, environ) for k, v in value.items()}
    return value


def smoke_session(config: AuthSections, environ: Mapping[str, str] | None = None
                  ) -> tuple[JsonLogin | None, tuple[str, ...]]:
    """The smoke flow's JSON login step, and the GET paths that follow it."""
    smoke = getattr(config, "smoke", None)
    steps = list(getattr(smoke, "steps", None) or ())
    flagged = any(getattr(s, "login", None) is True for s in steps)
    login: JsonLogin | None = None
    reads: list[str] = []
    for step in steps:
        path = str(getattr(step, "path", ""))
        method = str(getattr(step, "method", "GET")).upper()
        if login is None and _is_login(step, flagged):
            login = JsonLogin(path=path, payload=fill_env(getattr(step, "json_body", None),
                                                          environ or {}))
        elif (login is not None and method == "GET" and "logout" not in path.lower()
              and getattr(step, "logout", None) is not True):
            reads.append(path)
    return login, tuple(reads)


def login_base(config: AuthSections, page: str) -> str:
    """Where the smoke login lives: ``[smoke] base_url`` when set, else the canonical page."""
    smoke = getattr(config, "smoke", None)
    base = getattr(smoke, "base_url", None)
    return str(base) if base else page


@dataclass(frozen=True, kw_only=True)
class Session:
    """Credential headers for authenticated requests, where to send them, and any failure."""

    headers: dict[str, str]
    base: str
    paths: tuple[str, ...]
    login: JsonLogin | None
    error: str | None = None


class SessionOptions:
    """Constructor options shared by the families that need a session (WEB006, WEB009)."""

    def __init__(self, *, auth_headers: Mapping[str, str] | None = None,
                 auth_paths: Sequence[str] | None = None, login: JsonLogin | None = None
                 ) -> None:
        self._headers = dict(auth_headers or {})
        self._paths = tuple(auth_paths or ())
        self._login = login

    def plan(self, config: AuthSections, environ: Mapping[str, str] | None = None) -> AuthPlan:
        """The credential plan from constructor values, ``[web]`` or the smoke login."""
        return auth_plan(config, headers=self._headers, paths=self._paths, login=self._login,
                         environ=environ)

    async def session(self, http: HttpProbe, config: AuthSections, environ: Mapping[str, str],
                      page: str) -> Session:
        """Log in when needed; a failed login is reported in ``error``, never raised."""
        plan = self.plan(config, environ)
        headers = dict(plan.headers)
        error = None
        if not headers and plan.login is not None:
            result = await json_login(http, login_base(config, page), plan.login)
            if result.ok:
                headers = result.cookie_header()
            else:
                why = result.response.error or (f"status {result.response.status}, "
                                                "no session cookie")
                error = f"login failed: {why}"
        base = login_base(config, page) if plan.login is not None else page
        return Session(headers=headers, base=base, paths=plan.paths, login=plan.login,
                       error=error)
