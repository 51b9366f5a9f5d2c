"""The "Acme Dashboard": a small B2B SaaS prototype with deliberate launch risks.

``make_app(fixed=False, ...)`` builds the app as a hurried founder might ship it;
``make_app(fixed=True, ...)`` builds the same app with every risk repaired. ``launchready demo``
audits the first (and ``demo --fixed`` the second, which must audit clean).

Routes
    ``GET /``                       login page (HTML) loading ``/static/js/app.<hash>.js``
    ``GET /static/js/app.<hash>.js`` the minified frontend bundle
    ``GET /static/css/app.<hash>.css`` its stylesheet
    ``POST /api/login``             ``{"email", "password"}`` → 200 ``{"user": {"id", "email"}}``
                                    and the ``acme_session`` cookie; wrong password → 401;
                                    no free login slot in time → 503 with ``Retry-After``
    ``GET /api/dashboard``          (session) account summary
    ``GET /api/projects``           (session) the project list: the "core read"
    ``POST /api/projects``          (session) ``{"name"}`` → 201: the "core action"
    ``GET /api/reports/revenue``    (session) monthly revenue: the "heavy report", an SQLite
                                    aggregate over the invoices table
    ``POST /api/logout``            → 204
    ``GET /api/debug/crash``        raises, to show what an error page leaks
    ``GET /healthz``                runs a real query → ``{"status": "ok", "db": "ok"}`` (else 503)

Data lives in a real SQLite database at ``db_path``, (re)created and seeded when the app starts:
240 accounts, their users and projects, and ``invoices`` rows (50,000 by default, about 1 % of
them for the demo account). The demo login is ``demo@acme.test`` with the password passed to
``make_app``; only its scrypt hash is stored.

Deliberate flaws (``fixed=False``) and their repaired form (``fixed=True``)
    1. HSTS (TLS006). Flawed: no ``Strict-Transport-Security``. Fixed: every HTTPS response sends
       ``Strict-Transport-Security: max-age=31536000; includeSubDomains``.
    2. Debug error page (WEB007). Flawed: an unhandled error (``GET /api/debug/crash``) returns a
       500 page with the Python traceback and "aiohttp/x.y (Python x.y.z)", and the ``Server``
       header carries the aiohttp and Python versions. Fixed: a generic page (JSON under
       ``/api/``) with an error reference that is also logged, and ``Server: acme``.
    3. Cacheable authenticated response (WEB006). Flawed: ``GET /api/dashboard`` sends
       ``Cache-Control: public, max-age=300``, so a shared cache may hand one customer's
       dashboard to the next. Fixed: ``Cache-Control: private, no-store`` and ``Vary: Cookie``.
    4. Session survives logout (SMOKE003). Flawed: ``POST /api/logout`` only expires the cookie
       in the browser; the token keeps working when replayed. Fixed: the session is deleted
       server-side.
    5. Slow report query (DB002/DB003; PERF002 once the table is large enough). Flawed: no index
       on ``invoices.account_id``, so the revenue report's ``WHERE account_id = ? ... GROUP BY``
       scans the whole invoices table on every request. Fixed:
       ``CREATE INDEX ix_invoices_account_id ON invoices(account_id)``. The query text is the
       same in both modes.
    6. Secret in the frontend (SEC003/SEC004). Flawed: the bundle holds a Stripe-live-shaped
       secret key next to the publishable key and ends with
       ``//# sourceMappingURL=app.<hash>.js.map``; that map is served with ``sourcesContent``
       (the original TypeScript, key included). Fixed: only a ``pk_live_``-shaped publishable
       key, no ``sourceMappingURL`` comment, and the map URL is a 404. Both keys are derived at
       runtime from a hash of a fixed label: no Stripe account has them.
    7. Security headers (WEB004). Flawed: none. Fixed: ``Content-Security-Policy`` (with
       ``frame-ancestors 'none'``), ``X-Content-Type-Options: nosniff``,
       ``X-Frame-Options: DENY``, ``Referrer-Policy: strict-origin-when-cross-origin`` and
       ``Permissions-Policy``.
    8. Login stalls under a burst (PERF004 with ``[perf] burst``). A login holds one slot of
       the login connection pool from the user lookup until the password is verified; a
       request that cannot get a slot within the pool's wait answers 503 ``Retry-After: 1``.
       Flawed: 4 slots, a 0.5 s wait, and the scrypt verification (tens of milliseconds of
       CPU) runs synchronously on the event loop, so the loop serves one login at a time and
       stalls everything else meanwhile: of 30 logins sent together, about half get the 503.
       Fixed: the verification runs in a worker thread (``asyncio.to_thread``), so hashes run
       in parallel and the loop keeps serving, and the pool has 32 slots with a 5 s wait: the
       same burst is served without a 503. A single login behaves the same in both modes.

Host-level flaws (HTTP→HTTPS redirect, apex/www handling) live in :mod:`launchready.demo.server`.

Both modes share what is not a deliberate flaw: the session cookie is ``Secure; HttpOnly;
SameSite=Lax``, static assets are fingerprinted with a one-year immutable ``Cache-Control``, HTML
and assets are compressed when the client accepts it, and the login password is never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import logging
import platform
import secrets
import sqlite3
import time
import traceback
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

__all__ = ["DEMO_EMAIL", "SESSION_COOKIE", "make_app"]

DEMO_EMAIL = "demo@acme.test"
SESSION_COOKIE = "acme_session"

_log = logging.getLogger(__name__)
# A library logs; the program decides where it goes (no stderr traceback during `demo`).
_log.addHandler(logging.NullHandler())
_T = TypeVar("_T")

_ACCOUNTS = 240
_DEMO_ACCOUNT_ID = 1
_SESSION_TTL_S = 12 * 3600
_RELEASE = "1.4.2"
_STATIC_CACHE = "public, max-age=31536000, immutable"
_HSTS = "max-age=31536000; includeSubDomains"
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'")
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
# login connection pool (flaw 8): (slots, seconds to wait for one) per mode
_LOGIN_POOL_FLAWED = (4, 0.5)
_LOGIN_POOL_FIXED = (32, 5.0)

# --------------------------------------------------------------------------------------------
# Database

_SCHEMA = """
DROP TABLE IF EXISTS invoices;
DROP TABLE IF EXISTS projects;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS accounts;
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    mrr INTEGER NOT NULL,              -- cents, refreshed by billing
    created_at TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL
);
CREATE INDEX ix_users_account_id ON users(account_id);
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_projects_account_id ON projects(account_id);
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    customer TEXT NOT NULL,
    plan TEXT NOT NULL,
    amount INTEGER NOT NULL,           -- cents
    status TEXT NOT NULL,              -- paid | open | void
    issued_on TEXT NOT NULL            -- YYYY-MM-DD
);
"""

# Flaw 5, repaired: the foreign key the report filters on gets its index.
_FIX_INDEX = "CREATE INDEX ix_invoices_account_id ON invoices(account_id)"

_SEED_ACCOUNTS = """
INSERT INTO accounts (id, name, plan, mrr, created_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
SELECT i,
       CASE WHEN i = 1 THEN 'Acme Corp' ELSE 'Customer ' || printf('%03d', i) || ' Ltd' END,
       CASE i % 3 WHEN 0 THEN 'starter' WHEN 1 THEN 'growth' ELSE 'scale' END,
       (i % 3 + 1) * 49000 + (i * 7919) % 90000,
       date('now', '-' || (30 + i * 3) || ' days')
FROM n
"""

_SEED_USERS = """
INSERT INTO users (account_id, email, name, password_hash)
SELECT id, 'owner@customer' || id || '.test', 'Owner ' || id, '!' FROM accounts WHERE id <> ?
"""

# Deterministic, varied rows without Python loops: about 0.1 % of invoices belong to the demo
# account, the rest spread over the other accounts, dates over the last two years.
_SEED_INVOICES = """
INSERT INTO invoices (account_id, customer, plan, amount, status, issued_on)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
SELECT CASE WHEN i % 1000 = 0 THEN 1 ELSE 2 + (i * 7919) % (? - 1) END,
       'Client ' || ((i * 31) % 400),
       CASE i % 3 WHEN 0 THEN 'starter' WHEN 1 THEN 'growth' ELSE 'scale' END,
       (i % 3 + 1) * 4900 + (i * 37) % 5000,
       CASE WHEN i % 17 = 0 THEN 'open' WHEN i % 29 = 0 THEN 'void' ELSE 'paid' END,
       date('now', '-' || (i % 730) || ' days')
FROM n
"""

_SEED_PROJECTS = """
INSERT INTO projects (account_id, name, created_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
SELECT 2 + i % (? - 1), 'Project ' || i, datetime('now', '-' || i || ' hours') FROM n
"""

_DEMO_PROJECTS = ("Onboarding revamp", "Q3 pricing test", "SSO for enterprise", "Churn dashboard",
                  "Invoice reminders", "Mobile beta")

_SQL_USER_BY_EMAIL = "SELECT id, account_id, email, password_hash FROM users WHERE email = ?"
_SQL_ACCOUNT = "SELECT id, name, plan, mrr FROM accounts WHERE id = ?"
_SQL_PROJECT_COUNT = "SELECT count(*) FROM projects WHERE account_id = ?"
_SQL_PROJECTS = ("SELECT id, name, created_at FROM projects WHERE account_id = ? "
                 "ORDER BY id DESC LIMIT ?")
_SQL_INSERT_PROJECT = ("INSERT INTO projects (account_id, name, created_at) "
                       "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))")
_SQL_PROJECT = "SELECT id, name, created_at FROM projects WHERE id = ?"
_SQL_REVENUE_BY_MONTH = """
SELECT substr(issued_on, 1, 7) AS month, count(*) AS invoices, sum(amount) AS revenue
FROM invoices WHERE account_id = ? AND status = 'paid'
GROUP BY month ORDER BY month
"""
_SQL_REVENUE_BY_PLAN = """
SELECT plan, count(*) AS invoices, sum(amount) AS revenue
FROM invoices WHERE account_id = ? AND status = 'paid'
GROUP BY plan ORDER BY revenue DESC
"""
_SQL_HEALTH = "SELECT count(*) FROM accounts"


def _hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def _verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                                p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


# Checked against when the email is unknown, so both failures cost the same time.
_UNUSABLE_HASH = (f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${'00' * 16}$"
                  + "00" * 64)


def _seed(db_path: Path, *, fixed: bool, password: str, invoices: int) -> None:
    """Create the schema and the demo data; replaces whatever the file held."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(_SCHEMA)
        with conn:
            conn.execute(_SEED_ACCOUNTS, (_ACCOUNTS,))
            conn.execute("INSERT INTO users (account_id, email, name, password_hash) "
                         "VALUES (?, ?, ?, ?)",
                         (_DEMO_ACCOUNT_ID, DEMO_EMAIL, "Dana Demo", _hash_password(password)))
            conn.execute(_SEED_USERS, (_DEMO_ACCOUNT_ID,))
            conn.execute(_SEED_INVOICES, (invoices, _ACCOUNTS))
            conn.execute(_SEED_PROJECTS, (600, _ACCOUNTS))
            conn.executemany("INSERT INTO projects (account_id, name, created_at) "
                             "VALUES (?, ?, datetime('now', ?))",
                             [(_DEMO_ACCOUNT_ID, name, f"-{len(_DEMO_PROJECTS) - i} days")
                              for i, name in enumerate(_DEMO_PROJECTS)])
            if fixed:
                conn.execute(_FIX_INDEX)
        conn.execute("ANALYZE")


class _Database:
    """One short-lived connection per unit of work, run off the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _call(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with closing(sqlite3.connect(self.path, timeout=5.0)) as conn:
            conn.row_factory = sqlite3.Row
            with conn:  # commit on success, roll back on error
                return work(conn)

    async def run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        return await asyncio.to_thread(self._call, work)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        def work(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            return list(conn.execute(sql, params).fetchall())
        return await self.run(work)


class _PoolBusy(Exception):
    """No login slot became free within the pool's wait."""


class _LoginPool:
    """A fixed number of slots, each standing for one database connection a login holds."""

    def __init__(self, size: int, wait_s: float) -> None:
        self.size = size
        self.wait_s = wait_s
        self._slots = asyncio.Semaphore(size)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the block; :class:`_PoolBusy` if none frees within ``wait_s``."""
        try:
            async with asyncio.timeout(self.wait_s):
                await self._slots.acquire()
        except TimeoutError:
            raise _PoolBusy from None
        try:
            yield
        finally:
            self._slots.release()


# --------------------------------------------------------------------------------------------
# Frontend assets


def _fake_stripe_key(kind: str) -> str:
    """A Stripe-shaped key made up from a hash of a fixed label; no Stripe account has it.

    Assembled here rather than written out so that the repository itself holds no key-shaped
    literal (the secret scanner would rightly flag one).
    """
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    digest = hashlib.sha512(f"launchready acme demo {kind} key".encode()).digest()
    body = "".join(alphabet[b % len(alphabet)] for b in digest[:46])
    return "_".join((kind, "live", "51Acme" + body))


_CONFIG_TS = """\
// Runtime settings shared by checkout and the dashboard widgets.
export const config = {{
  apiBase: "/api",
  release: "{release}",
  stripe: {{
{stripe_lines}
  }},
}};
"""

_API_TS = """\
import {{ config }} from "./config";

export async function api<T>(path: string, init: RequestInit = {{}}): Promise<T | null> {{
  const res = await fetch(config.apiBase + path, {{
    credentials: "same-origin",
    headers: {{ "Content-Type": "application/json" }},
    ...init,
  }});
  if (!res.ok) throw new Error(`HTTP ${{res.status}}`);
  return res.status === 204 ? null : ((await res.json()) as T);
}}
"""

_MAIN_TS = """\
import { api } from "./api";
import { config } from "./config";

type Dashboard = { account: { name: string }; projects: { recent: { name: string }[] } };

function render(d: Dashboard): void {
  const root = document.getElementById("app")!;
  root.textContent = "";
  const h1 = document.createElement("h1");
  h1.textContent = d.account.name;
  root.appendChild(h1);
  const list = document.createElement("ul");
  for (const p of d.projects.recent) {
    const li = document.createElement("li");
    li.textContent = p.name;
    list.appendChild(li);
  }
  root.appendChild(list);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login") as HTMLFormElement | null;
  form?.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    api("/login", {
      method: "POST",
      body: JSON.stringify({ email: data.get("email"), password: data.get("password") }),
    })
      .then(() => api<Dashboard>("/dashboard"))
      .then((d) => d && render(d))
      .catch(() => { document.getElementById("error")!.hidden = false; });
  });
});

(window as any).__ACME__ = { release: config.release, stripeKey: config.stripe.publishableKey };
"""

_BUNDLE_JS = (
    '/*! acme-dashboard {release} */\n'
    '(()=>{{"use strict";const n={config};'
    'function r(t,e={{}}){{return fetch(n.apiBase+t,Object.assign({{credentials:"same-origin",'
    'headers:{{"Content-Type":"application/json"}}}},e)).then(t=>{{if(!t.ok)throw new Error('
    '"HTTP "+t.status);return 204===t.status?null:t.json()}})}}'
    'function o(t){{const e=document.getElementById("app");e.textContent="";'
    'const a=document.createElement("h1");a.textContent=t.account.name;e.appendChild(a);'
    'const c=document.createElement("ul");for(const s of t.projects.recent){{'
    'const l=document.createElement("li");l.textContent=s.name;c.appendChild(l)}}'
    'e.appendChild(c)}}'
    'document.addEventListener("DOMContentLoaded",()=>{{const t=document.getElementById("login");'
    't&&t.addEventListener("submit",e=>{{e.preventDefault();const a=new FormData(t);'
    'r("/login",{{method:"POST",body:JSON.stringify({{email:a.get("email"),'
    'password:a.get("password")}})}}).then(()=>r("/dashboard")).then(t=>t&&o(t)).catch(()=>{{'
    'document.getElementById("error").hidden=!1}})}})}});'
    'window.__ACME__={{release:n.release,stripeKey:n.stripe.publishableKey}}}})();\n'
)

_CSS = (
    "*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f5f6f8;"
    "color:#1d2330}main{max-width:24rem;margin:10vh auto;padding:2rem;background:#fff;"
    "border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.1)}label{display:block;margin:.75rem 0}"
    "input{width:100%;padding:.5rem;border:1px solid #c7ccd6;border-radius:4px}"
    "button{margin-top:1rem;width:100%;padding:.6rem;border:0;border-radius:4px;background:#3451d1;"
    "color:#fff;font-weight:600}#error{color:#b42318}\n"
)

_LOGIN_HTML = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Acme Dashboard</title>
<link rel="stylesheet" href="{css}">
<script src="{js}" defer></script>
</head>
<body>
<main id="app">
<h1>Acme Dashboard</h1>
<form id="login" method="post" action="/api/login">
<label>Email <input name="email" type="email" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required>
</label>
<button type="submit">Sign in</button>
<p id="error" hidden>Wrong email or password.</p>
</form>
</main>
</body>
</html>
"""


def _fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


@dataclass(frozen=True, kw_only=True)
class _Assets:
    """The built frontend: fingerprinted bundle, stylesheet, optional source map, login page."""

    js_name: str
    js: bytes
    css_name: str
    css: bytes
    map_name: str | None
    map: bytes | None
    login_html: bytes


def _build_assets(*, fixed: bool) -> _Assets:
    publishable = _fake_stripe_key("pk")
    stripe: dict[str, str] = {"publishableKey": publishable}
    stripe_lines = [f'    publishableKey: "{publishable}",']
    if not fixed:
        # Flaw 6: the secret key went into the client config "until the billing service ships".
        secret_key = _fake_stripe_key("sk")
        stripe["secretKey"] = secret_key
        stripe_lines += ["    // charged from the browser until the billing service ships",
                         f'    secretKey: "{secret_key}",']
    config_js = json.dumps({"apiBase": "/api", "release": _RELEASE, "stripe": stripe},
                           separators=(",", ":"))
    body = _BUNDLE_JS.format(release=_RELEASE, config=config_js).encode()
    digest = _fingerprint(body)
    js_name = f"app.{digest}.js"
    css = _CSS.encode()
    css_name = f"app.{_fingerprint(css)}.css"
    map_name: str | None = None
    source_map: bytes | None = None
    if not fixed:
        map_name = f"{js_name}.map"
        config_ts = _CONFIG_TS.format(release=_RELEASE, stripe_lines="\n".join(stripe_lines))
        source_map = json.dumps({
            "version": 3,
            "file": js_name,
            "sources": ["webpack://acme-dashboard/src/config.ts",
                        "webpack://acme-dashboard/src/api.ts",
                        "webpack://acme-dashboard/src/main.ts"],
            "sourcesContent": [config_ts, _API_TS.format(), _MAIN_TS],
            "names": ["config", "api", "render", "form", "data"],
            "mappings": "AAAA;AACA,MAAMA,QAAQ;AAEd,SAASC,GAAG,CAACC;AACZ,IAAIC,KAAK,EAAEC",
        }, indent=None).encode()
        body += f"//# sourceMappingURL={map_name}\n".encode()
    login_html = _LOGIN_HTML.format(css=f"/static/css/{css_name}",
                                    js=f"/static/js/{js_name}").encode()
    return _Assets(js_name=js_name, js=body, css_name=css_name, css=css, map_name=map_name,
                   map=source_map, login_html=login_html)


# --------------------------------------------------------------------------------------------
# The application


@dataclass(frozen=True, kw_only=True)
class _Session:
    user_id: int
    account_id: int
    email: str
    expires_at: float


class _BadRequest(Exception):
    """The request body is not what the endpoint takes; the message says what is expected."""


class _AcmeApp:
    """Handlers and the state they share: the database and the in-memory session table."""

    def __init__(self, *, fixed: bool, db: _Database) -> None:
        self.fixed = fixed
        self.db = db
        self.sessions: dict[str, _Session] = {}
        self.assets = _build_assets(fixed=fixed)
        self.login_pool = _LoginPool(*(_LOGIN_POOL_FIXED if fixed else _LOGIN_POOL_FLAWED))

    # ---- helpers -------------------------------------------------------------------------

    def _session(self, request: web.Request) -> tuple[str, _Session] | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        session = self.sessions.get(token)
        if session is None:
            return None
        if session.expires_at < time.monotonic():
            del self.sessions[token]
            return None
        return token, session

    def _require(self, request: web.Request) -> _Session:
        found = self._session(request)
        if found is None:
            raise web.HTTPUnauthorized(text=json.dumps({"error": "login required"}),
                                       content_type="application/json")
        return found[1]

    @staticmethod
    async def _json_object(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise _BadRequest("body must be a JSON object") from None
        if not isinstance(data, dict):
            raise _BadRequest("body must be a JSON object")
        return data

    @staticmethod
    def _text_asset(body: bytes, content_type: str, request: web.Request,
                    *, cache: str) -> web.Response:
        response = web.Response(body=body, content_type=content_type, charset="utf-8")
        response.headers["Cache-Control"] = cache
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response.enable_compression()
        return response

    # ---- pages and assets ----------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return self._text_asset(self.assets.login_html, "text/html", request, cache="no-cache")

    async def script(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name == self.assets.js_name:
            return self._text_asset(self.assets.js, "application/javascript", request,
                                    cache=_STATIC_CACHE)
        if self.assets.map is not None and name == self.assets.map_name:
            return self._text_asset(self.assets.map, "application/json", request,
                                    cache=_STATIC_CACHE)
        raise web.HTTPNotFound

    async def stylesheet(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["name"] != self.assets.css_name:
            raise web.HTTPNotFound
        return self._text_asset(self.assets.css, "text/css", request, cache=_STATIC_CACHE)

    # ---- API -----------------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.StreamResponse:
        data = await self._json_object(request)
        email, password = data.get("email"), data.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            raise _BadRequest('expected {"email": "...", "password": "..."}')
        try:
            async with self.login_pool.slot():
                rows = await self.db.fetch(_SQL_USER_BY_EMAIL, (email.strip().lower(),))
                stored = rows[0]["password_hash"] if rows else _UNUSABLE_HASH
                if self.fixed:
                    # Flaw 8, repaired: scrypt runs in a worker thread (it releases the GIL),
                    # so logins hash in parallel and the event loop keeps serving meanwhile.
                    ok = await asyncio.to_thread(_verify_password, password, stored)
                else:
                    ok = _verify_password(password, stored)
        except _PoolBusy:
            response = web.json_response({"error": "too many logins at once, retry"},
                                         status=503)
            response.headers["Retry-After"] = "1"
            return response
        if not rows or not ok:
            return web.json_response({"error": "invalid email or password"}, status=401)
        user = rows[0]
        token = secrets.token_urlsafe(32)
        self.sessions[token] = _Session(user_id=user["id"], account_id=user["account_id"],
                                        email=user["email"],
                                        expires_at=time.monotonic() + _SESSION_TTL_S)
        response = web.json_response({"user": {"id": user["id"], "email": user["email"]}})
        response.set_cookie(SESSION_COOKIE, token, path="/", secure=True, httponly=True,
                            samesite="Lax")
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        found = self._session(request)
        if found is not None and self.fixed:
            # Flaw 4, repaired: the token is dead on the server, not just forgotten by the browser.
            del self.sessions[found[0]]
        response = web.Response(status=204)
        response.del_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True,
                            samesite="Lax")
        return response

    async def dashboard(self, request: web.Request) -> web.StreamResponse:
        session = self._require(request)

        def work(conn: sqlite3.Connection) -> dict[str, Any]:
            account = conn.execute(_SQL_ACCOUNT, (session.account_id,)).fetchone()
            count = conn.execute(_SQL_PROJECT_COUNT, (session.account_id,)).fetchone()[0]
            recent = conn.execute(_SQL_PROJECTS, (session.account_id, 5)).fetchall()
            return {
                "account": {"id": account["id"], "name": account["name"],
                            "plan": account["plan"], "mrr": account["mrr"]},
                "user": {"id": session.user_id, "email": session.email},
                "projects": {"count": count, "recent": [dict(r) for r in recent]},
            }

        response = web.json_response(await self.db.run(work))
        if self.fixed:
            response.headers["Cache-Control"] = "private, no-store"
            response.headers["Vary"] = "Cookie"
        else:
            # Flaw 3: a shared cache may store this and serve it to the next customer.
            response.headers["Cache-Control"] = "public, max-age=300"
        return response

    async def list_projects(self, request: web.Request) -> web.StreamResponse:
        session = self._require(request)
        rows = await self.db.fetch(_SQL_PROJECTS, (session.account_id, 100))
        return web.json_response({"projects": [dict(r) for r in rows]})

    async def create_project(self, request: web.Request) -> web.StreamResponse:
        session = self._require(request)
        data = await self._json_object(request)
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
            raise _BadRequest('expected {"name": "..."} with 1 to 100 characters')

        def work(conn: sqlite3.Connection) -> dict[str, Any]:
            cursor = conn.execute(_SQL_INSERT_PROJECT, (session.account_id, name.strip()))
            return dict(conn.execute(_SQL_PROJECT, (cursor.lastrowid,)).fetchone())

        return web.json_response({"project": await self.db.run(work)}, status=201)

    async def revenue_report(self, request: web.Request) -> web.StreamResponse:
        session = self._require(request)

        def work(conn: sqlite3.Connection) -> dict[str, Any]:
            months = conn.execute(_SQL_REVENUE_BY_MONTH, (session.account_id,)).fetchall()
            plans = conn.execute(_SQL_REVENUE_BY_PLAN, (session.account_id,)).fetchall()
            return {
                "account_id": session.account_id,
                "currency": "USD",
                "total": sum(int(m["revenue"]) for m in months),
                "months": [dict(m) for m in months],
                "by_plan": [dict(p) for p in plans],
            }

        return web.json_response(await self.db.run(work))

    async def crash(self, request: web.Request) -> web.StreamResponse:
        # A realistic bug: the trial-conversion widget divides by the number of trials,
        # which is zero for an account that never ran one.
        trials, converted = 0, 0
        rate = converted / trials
        return web.json_response({"conversion_rate": rate})

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        try:
            rows = await self.db.fetch(_SQL_HEALTH)
            db_ok = bool(rows) and int(rows[0][0]) > 0
        except sqlite3.Error:
            db_ok = False
        if db_ok:
            return web.json_response({"status": "ok", "db": "ok"})
        return web.json_response({"status": "error", "db": "error"}, status=503)

    # ---- errors and headers --------------------------------------------------------------

    @web.middleware
    async def errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return self._not_found(request)
        except web.HTTPException:
            raise
        except _BadRequest as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except Exception:
            return self._server_error(request)

    @staticmethod
    def _not_found(request: web.Request) -> web.Response:
        if request.path.startswith("/api/"):
            return web.json_response({"error": "not found"}, status=404)
        return web.Response(status=404, content_type="text/html", charset="utf-8",
                            text="<!doctype html><title>Not found</title>"
                                 "<h1>Page not found</h1><p><a href=\"/\">Back to sign in</a></p>")

    def _server_error(self, request: web.Request) -> web.Response:
        reference = secrets.token_hex(4)
        _log.exception("unhandled error in %s %s (reference %s)", request.method, request.path,
                       reference)
        if not self.fixed:
            # Flaw 2: the development error page went to production.
            trace = html.escape(traceback.format_exc())
            versions = f"aiohttp/{aiohttp.__version__} (Python {platform.python_version()})"
            return web.Response(
                status=500, content_type="text/html", charset="utf-8",
                text=("<!doctype html><html><head><title>500 Internal Server Error</title>"
                      "</head><body><h1>500 Internal Server Error</h1>"
                      f"<p>Error handling {html.escape(request.method)} "
                      f"{html.escape(request.path)}</p><h2>Traceback</h2><pre>{trace}</pre>"
                      f"<hr><address>{versions}</address></body></html>"))
        if request.path.startswith("/api/"):
            return web.json_response({"error": "internal error", "reference": reference},
                                     status=500)
        return web.Response(status=500, content_type="text/html", charset="utf-8",
                            text="<!doctype html><title>Something went wrong</title>"
                                 "<h1>Something went wrong</h1>"
                                 f"<p>Please try again. Reference: {reference}</p>")

    async def on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        if request.path.startswith("/api/") or request.path == "/healthz":
            headers.setdefault("Cache-Control", "no-store")
        if not self.fixed:
            return
        # Flaws 1, 2 and 7, repaired.
        headers["Server"] = "acme"
        if request.secure:
            # RFC 6797 §7.2: HSTS is only sent over secure transport.
            headers["Strict-Transport-Security"] = _HSTS
        headers["Content-Security-Policy"] = _CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.path.startswith("/api/") and self._session(request) is not None:
            headers["Cache-Control"] = "private, no-store"
            headers["Vary"] = "Cookie"


def make_app(*, fixed: bool, db_path: Path, password: str, invoices: int = 50_000,
             middlewares: Sequence[Middleware] = ()) -> web.Application:
    """Build the Acme Dashboard, flawed (``fixed=False``) or repaired (``fixed=True``).

    The database at ``db_path`` is recreated and seeded when the application starts (aiohttp
    ``on_startup``). ``password`` is the demo user's password: it is hashed at start-up and never
    stored or logged in clear. ``invoices`` sizes the invoices table. ``middlewares`` run before
    the app's own (outermost first), e.g. host-based routing.
    """
    if invoices < 1:
        raise ValueError("invoices must be at least 1")
    acme = _AcmeApp(fixed=fixed, db=_Database(db_path))
    app = web.Application(middlewares=[*middlewares, acme.errors])

    async def seed(_: web.Application) -> None:
        started = time.perf_counter()
        await asyncio.to_thread(_seed, db_path, fixed=fixed, password=password,
                                invoices=invoices)
        _log.debug("seeded %s in %.0f ms", db_path, (time.perf_counter() - started) * 1000)

    async def forget_sessions(_: web.Application) -> None:
        acme.sessions.clear()

    app.on_startup.append(seed)
    app.on_cleanup.append(forget_sessions)
    app.on_response_prepare.append(acme.on_prepare)
    app.router.add_get("/", acme.index)
    app.router.add_get("/static/js/{name}", acme.script)
    app.router.add_get("/static/css/{name}", acme.stylesheet)
    app.router.add_post("/api/login", acme.login)
    app.router.add_post("/api/logout", acme.logout)
    app.router.add_get("/api/dashboard", acme.dashboard)
    app.router.add_get("/api/projects", acme.list_projects)
    app.router.add_post("/api/projects", acme.create_project)
    app.router.add_get("/api/reports/revenue", acme.revenue_report)
    app.router.add_get("/api/debug/crash", acme.crash)
    app.router.add_get("/healthz", acme.healthz)
    return app
