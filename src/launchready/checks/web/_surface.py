"""Shared facts and helpers for the web-surface checks (WEB004–WEB009, SEC004, SEC009).

Pure helpers (URL and HTML reading, header parsing, evidence cleaning, fix-snippet layout) plus
the few async helpers every family uses to fetch the canonical page and log in. Nothing here
judges: the families' ``evaluate`` functions do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from launchready.probes.http import HttpProbe, HttpResponse

#: the most assets of one page a family fetches (big SPAs reference dozens of chunks)
MAX_ASSETS = 24
#: evidence values are cut here; they come from servers we do not control
EVIDENCE_CHARS = 160


# --- URLs ---------------------------------------------------------------------------------------

class _AppLike(Protocol):
    @property
    def canonical(self) -> str | None: ...

    @property
    def domain(self) -> str | None: ...


def page_url(app: _AppLike) -> str | None:
    """The canonical page to judge: ``[app] canonical``, else ``https://<domain>/``."""
    if app.canonical:
        url = app.canonical.strip()
        return url if urlsplit(url).path else url + "/"
    if app.domain:
        return f"https://{app.domain.strip().rstrip('.')}/"
    return None


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


def same_origin(a: str, b: str) -> bool:
    """True when both URLs share scheme, host and port (RFC 6454 §4)."""
    return origin(a) == origin(b)


def site_url(base: str, path: str) -> str:
    """``path`` (``/x`` or a full URL) resolved against ``base``'s origin."""
    if "://" in path:
        return path
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}/{path.lstrip('/')}"


def path_of(url: str) -> str:
    """The path and query of ``url`` (``/`` when empty), for targets and identities."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# --- fingerprinted asset names -----------------------------------------------------------------

_TOKEN_SPLIT = re.compile(r"[.\-_~]")
_HEX = re.compile(r"[0-9a-f]{6,}")
_ALNUM = re.compile(r"[0-9A-Za-z]{8,}")


def _hash_like(token: str) -> bool:
    has_digit = any(c.isdigit() for c in token)
    has_letter = any(c.isalpha() for c in token)
    if not (has_digit and has_letter):
        return False
    return bool(_HEX.fullmatch(token) or _ALNUM.fullmatch(token))


def is_fingerprinted(url: str) -> bool:
    """True when the file name carries a content hash: ``app.3f9a1c.js``, ``index-BkE3x9Qz.js``.

    Such names change whenever the content does, so they can be cached for a year.
    """
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return any(_hash_like(t) for t in _TOKEN_SPLIT.split(stem))


# --- HTML ----------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class PageRefs:
    """What the canonical page's HTML references and declares."""

    scripts: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    meta_csp: tuple[str, ...] = ()
    meta_referrer: str | None = None

    def assets(self) -> tuple[str, ...]:
        """Scripts then styles, de-duplicated, in page order."""
        return tuple(dict.fromkeys((*self.scripts, *self.styles)))


class _RefParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.meta_csp: list[str] = []
        self.meta_referrer: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"]
        elif tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            kind = a.get("as", "").lower()
            if "stylesheet" in rel or ("preload" in rel and kind == "style"):
                self.styles.append(a["href"])
            elif "modulepreload" in rel or ("preload" in rel and kind == "script"):
                self.scripts.append(a["href"])
        elif tag == "meta":
            equiv = a.get("http-equiv", "").lower()
            if equiv == "content-security-policy" and a.get("content"):
                self.meta_csp.append(a["content"])
            elif a.get("name", "").lower() == "referrer" and a.get("content"):
                self.meta_referrer = a["content"]


def parse_page(html: str, url: str) -> PageRefs:
    """Scripts, stylesheets and meta policies of ``html`` served at ``url`` (absolute URLs)."""
    parser = _RefParser()
    try:
        parser.feed(html)
        parser.close()
    except (ValueError, AssertionError):
        pass  # a broken page still yields what was read before the break
    base = urljoin(url, parser.base) if parser.base else url

    def absolute(refs: Iterable[str]) -> tuple[str, ...]:
        out = []
        for ref in refs:
            full = urljoin(base, ref.strip())
            if urlsplit(full).scheme in ("http", "https"):
                out.append(full.split("#", 1)[0])
        return tuple(dict.fromkeys(out))

    return PageRefs(scripts=absolute(parser.scripts), styles=absolute(parser.styles),
                    meta_csp=tuple(parser.meta_csp), meta_referrer=parser.meta_referrer)


def is_html(resp: HttpResponse) -> bool:
    """True for an HTML response (by type, or by a sniffed doctype/``<html``)."""
    ctype = (resp.header("content-type") or "").lower()
    if "html" in ctype:
        return True
    head = resp.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


# --- header values -------------------------------------------------------------------------------

def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, keeping quoted strings whole (RFC 9110 §5.6.1)."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    items.append("".join(current).strip())
    return [i for i in items if i]


def cache_directives(values: Sequence[str]) -> dict[str, str | None]:
    """``Cache-Control`` values -> {directive: argument}; names lower-cased (RFC 9111 §5.2)."""
    out: dict[str, str | None] = {}
    for item in split_list(",".join(values)):
        name, eq, arg = item.partition("=")
        key = name.strip().lower()
        if key and key not in out:
            out[key] = arg.strip().strip('"') if eq else None
    return out


def seconds(value: str | None) -> int | None:
    """A delta-seconds argument, or None when missing or malformed."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


@dataclass(frozen=True, kw_only=True)
class SetCookie:
    """One ``Set-Cookie`` line, split into name, value and lower-cased attributes."""

    name: str
    value: str
    attrs: Mapping[str, str] = field(default_factory=dict)

    @property
    def deletes(self) -> bool:
        """True when the line removes the cookie (``Max-Age=0`` or an expiry in the past)."""
        max_age = self.attrs.get("max-age", "").strip()
        if max_age.lstrip("-").isdigit() and int(max_age) <= 0:
            return True
        expires = self.attrs.get("expires", "")
        return bool(re.search(r"\b19[0-9]{2}\b|\b200[0-9]\b", expires))


def parse_set_cookie(line: str) -> SetCookie | None:
    """Parse one ``Set-Cookie`` value as RFC 6265 §5.2 does; None when it has no name."""
    pair, *rest = line.split(";")
    name, eq, value = pair.partition("=")
    if not eq or not name.strip():
        return None
    attrs: dict[str, str] = {}
    for part in rest:
        key, _, arg = part.partition("=")
        if key.strip():
            attrs[key.strip().lower()] = arg.strip()
    return SetCookie(name=name.strip(), value=value.strip(), attrs=attrs)


# --- evidence ------------------------------------------------------------------------------------

def shown(value: str, limit: int = EVIDENCE_CHARS) -> str:
    """A server-supplied value fit for evidence: one line, control characters dropped, cut.

    It stays plain text (``<script>`` is kept as written): escaping is the renderers' job.
    """
    flat = "".join(ch if ch.isprintable() else " " for ch in value.replace("\n", " "))
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def masked(secret: str) -> str:
    """At most the last 4 characters of a secret, never the whole value."""
    if len(secret) <= 8:
        return "****"
    return f"****{secret[-4:]}"


def fixes(*, nginx: str | None = None, caddy: str | None = None, cloudflare: str | None = None,
          vercel: str | None = None, netlify: str | None = None, python: str | None = None,
          lead: str = "") -> str:
    """One fix text with a short snippet per platform, in a fixed order."""
    parts = [lead] if lead else []
    for label, snippet in (("nginx", nginx), ("Caddy", caddy), ("Cloudflare", cloudflare),
                           ("Vercel (vercel.json)", vercel), ("Netlify (_headers)", netlify),
                           ("Python app", python)):
        if snippet:
            parts.append(f"{label}: {snippet}")
    return " ".join(p if p.endswith(".") else p + "." for p in parts)


# --- fetching ------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Page:
    """The canonical page as a browser reaches it: every hop, then the final response."""

    start: str
    hops: tuple[HttpResponse, ...]

    @property
    def final(self) -> HttpResponse:
        """The last response of the chain."""
        return self.hops[-1]

    @property
    def url(self) -> str:
        """The URL that produced the final response."""
        return self.final.url

    @property
    def ok(self) -> bool:
        """True when the final hop answered with a status (any status)."""
        return self.final.status is not None

    def refs(self) -> PageRefs:
        """Scripts and styles of the final page (empty for a non-HTML answer)."""
        if not self.ok or not is_html(self.final):
            return PageRefs()
        return parse_page(self.final.text, self.url)


async def fetch_page(probe: HttpProbe, url: str,
                     headers: Mapping[str, str] | None = None) -> Page:
    """Follow ``url``'s redirects the way a browser would and return every hop."""
    chain = await probe.follow(url, headers=headers)
    return Page(start=url, hops=chain.hops)


def failure_reason(resp: HttpResponse) -> str:
    """Why a request produced no answer, for an ``errors`` entry."""
    return f"{resp.url}: {resp.error or 'no response'}"


# --- authentication ------------------------------------------------------------------------------

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


def auth_plan(config: Any, *, headers: Mapping[str, str] | None = None,
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


def _is_login(step: Any, flagged: bool) -> bool:
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


def smoke_session(config: Any, environ: Mapping[str, str] | None = None
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


def login_base(config: Any, page: str) -> str:
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

    def plan(self, config: Any, environ: Mapping[str, str] | None = None) -> AuthPlan:
        """The credential plan from constructor values, ``[web]`` or the smoke login."""
        return auth_plan(config, headers=self._headers, paths=self._paths, login=self._login,
                         environ=environ)

    async def session(self, http: HttpProbe, config: Any, environ: Mapping[str, str],
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
