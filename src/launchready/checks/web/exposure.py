"""SEC009 and SEC004 — files that should never be served: secrets, repositories, source maps.

What: SEC009 (critical; ``/server-status`` high, ``/.DS_Store`` medium): launchready asks the
canonical host for ``/.env`` (and ``.env.production``, ``.env.local``), ``/.git/HEAD``,
``/.git/config``, ``/config.json``, backups (``/backup.zip``, ``/backup.tar.gz``,
``/backup.sql``, ``/db.sql``, ``/dump.sql``, ``/database.sql``), ``/.htpasswd``,
``/server-status`` and ``/.DS_Store``, reading at most 64 KiB of each. A 200 is not enough:
many single-page apps answer 200 with their index page for every path, so a random path is
fetched first and an identical answer means "not there", and each path must show its real
content:

* ``.env``: ``KEY=VALUE`` lines make up most of the file (keys are shown, values never);
* ``.git/HEAD``: ``ref: refs/…`` or a 40/64-hex object id; ``.git/config``: a ``[core]``
  section with ``repositoryformatversion`` (the whole repository can then be downloaded);
* ``config.json``: JSON with a non-empty value under a secret-looking key (``secret``,
  ``password``, ``api_key``, ``token``, ``private_key`` …);
* backups: a zip or gzip signature, or SQL dump statements; ``.htpasswd``: ``user:hash`` lines;
* ``server-status``: Apache's "Apache Server Status" page; ``.DS_Store``: its ``Bud1`` magic.

SEC004 (medium): for every same-origin script of the canonical page (at most 24), the source
map named by its ``//# sourceMappingURL=`` comment or ``SourceMap`` header, and ``<script>.map``
itself, are fetched; a JSON answer with ``"version"`` and ``"mappings"`` (or ``"sections"``) is
a public source map. An inline ``data:`` map counts too. One finding per page, listing the maps.
A secret inside a map's ``sourcesContent`` is SEC003's job.

Why: ``/.env`` or ``/.git`` on the web hands over database passwords and API keys — the worst
possible discovery by a buyer's security review; source maps give anyone the original code,
comments and internal endpoints.

Fix: deploy only the build output, and deny dotfiles at the edge (nginx
``location ~ /\\. { deny all; }``); build without public maps (Vite ``build.sourcemap: false``
or ``"hidden"``, webpack ``devtool: "hidden-source-map"``) and upload maps to the error tracker.

Pass: ``/.env`` answers 404, or the SPA's index page (identical to a random path).
Fail: ``/.git/HEAD`` answers ``ref: refs/heads/main``; ``/static/js/app.3f9a1c.js.map`` answers
``{"version":3,"sources":[…],"mappings":"AAAA…"}``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from launchready.checks.base import CheckFamily, Context, Outcome, make_finding
from launchready.checks.catalog import meta
from launchready.checks.web._fixes import fixes, shown
from launchready.checks.web._html import MAX_ASSETS, Page, failure_reason, fetch_page, is_html
from launchready.checks.web._urls import page_url, path_of, same_origin, site_url
from launchready.grammar import plural
from launchready.model import Finding, Severity
from launchready.probes.http import HttpResponse

#: enough of any sensitive file to recognise it
SENSITIVE_CAP = 64 * 1024
_SECRET_KEY = re.compile(
    r"secret|passw(or)?d|api[_-]?key|apikey|token|private[_-]?key|access[_-]?key|"
    r"client[_-]?secret|credentials?|database[_-]?url|dsn|auth", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(x+|\*+|changeme|example|placeholder|your[_-].*|<.*>|\$\{.*\})$",
                          re.IGNORECASE)
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=")
_SQL = re.compile(r"CREATE TABLE|INSERT INTO|-- MySQL dump|-- PostgreSQL database dump|"
                  r"PRAGMA foreign_keys", re.IGNORECASE)
_HTPASSWD = re.compile(r"^[^:\s]+:(\$apr1\$|\$2[aby]\$|\{SHA\}|\$[56]\$)", re.MULTILINE)
_MAP_COMMENT = re.compile(r"[#@]\s*sourceMappingURL=([^\s'\"*]+)")


# --- SEC009 recognisers --------------------------------------------------------------------------

def _env(resp: HttpResponse) -> str | None:
    if is_html(resp):
        return None
    lines = [ln for ln in resp.text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    keys = [m.group(1) for m in map(_ENV_LINE.match, lines) if m]
    if not keys or len(keys) * 2 < len(lines):
        return None
    listed = ", ".join(shown(k, 40) for k in keys[:6]) + (" …" if len(keys) > 6 else "")
    return f"{len(keys)} variable{'s' if len(keys) != 1 else ''}: {listed} (values not shown)"


def _git_head(resp: HttpResponse) -> str | None:
    text = resp.text.strip()
    if re.fullmatch(r"ref: refs/[^\s]+", text):
        return shown(text, 80)
    if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", text):
        return f"detached HEAD {text[:12]}…"
    return None


def _git_config(resp: HttpResponse) -> str | None:
    text = resp.text
    if "[core]" in text and "repositoryformatversion" in text:
        remotes = re.findall(r'\[remote "([^"]{1,40})"\]', text)
        extra = f"; remotes: {', '.join(shown(r, 40) for r in remotes)}" if remotes else ""
        return f"git config with a [core] section{extra} (the repository can be downloaded)"
    return None


def _secret_keys(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else str(k)
            if (isinstance(v, str) and _SECRET_KEY.search(str(k)) and len(v.strip()) >= 6
                    and not _PLACEHOLDER.match(v.strip())):
                yield path
            else:
                yield from _secret_keys(v, path)
    elif isinstance(value, list):
        for i, v in enumerate(value[:100]):
            yield from _secret_keys(v, f"{prefix}[{i}]")


def _config_json(resp: HttpResponse) -> str | None:
    try:
        data = json.loads(resp.text)
        keys = list(_secret_keys(data))
    except (ValueError, RecursionError):  # hostile nesting is "not a config file", not a crash
        return None
    if not keys:
        return None
    return f"JSON with values under {', '.join(shown(k, 60) for k in keys[:5])} (not shown)"


def _backup(resp: HttpResponse) -> str | None:
    head = resp.body[:8]
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip archive"
    if not is_html(resp):
        match = _SQL.search(resp.text[:SENSITIVE_CAP])
        if match:
            return f"an SQL dump ({shown(match.group(0), 40)} …)"
    return None


def _htpasswd(resp: HttpResponse) -> str | None:
    users = _HTPASSWD.findall(resp.text)
    return plural(len(users), "password hash line") if users else None


def _server_status(resp: HttpResponse) -> str | None:
    if "Apache Server Status for" in resp.text:
        return "Apache mod_status page (client addresses and requested URLs of live requests)"
    return None


def _ds_store(resp: HttpResponse) -> str | None:
    return "a macOS .DS_Store file listing the folder" if resp.body[4:8] == b"Bud1" else None


@dataclass(frozen=True, kw_only=True)
class Sensitive:
    """A path to try, how to recognise its real content, and how bad it is."""

    path: str
    what: str
    recognise: Callable[[HttpResponse], str | None]
    severity: Severity = Severity.CRITICAL


SENSITIVE: tuple[Sensitive, ...] = (
    Sensitive(path="/.env", what="environment file", recognise=_env),
    Sensitive(path="/.env.production", what="environment file", recognise=_env),
    Sensitive(path="/.env.local", what="environment file", recognise=_env),
    Sensitive(path="/.git/HEAD", what="git repository", recognise=_git_head),
    Sensitive(path="/.git/config", what="git repository", recognise=_git_config),
    Sensitive(path="/config.json", what="configuration with credentials",
              recognise=_config_json),
    Sensitive(path="/backup.zip", what="backup", recognise=_backup),
    Sensitive(path="/backup.tar.gz", what="backup", recognise=_backup),
    Sensitive(path="/backup.sql", what="database dump", recognise=_backup),
    Sensitive(path="/db.sql", what="database dump", recognise=_backup),
    Sensitive(path="/dump.sql", what="database dump", recognise=_backup),
    Sensitive(path="/database.sql", what="database dump", recognise=_backup),
    Sensitive(path="/.htpasswd", what="password file", recognise=_htpasswd),
    Sensitive(path="/server-status", what="server status page", recognise=_server_status,
              severity=Severity.HIGH),
    Sensitive(path="/.DS_Store", what="folder listing", recognise=_ds_store,
              severity=Severity.MEDIUM),
)


# --- SEC004: source maps -------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MapInfo:
    """What a source map reveals."""

    sources: int | None  # None when the map was too big to parse whole
    has_content: bool


def parse_source_map(body: bytes, *, truncated: bool = False) -> MapInfo | None:
    """A source map's facts, or None when ``body`` is not one (Source Map spec, revision 3)."""
    text = body.decode("utf-8", errors="replace").lstrip()
    # the spec allows an XSSI guard line, )]}' , before the JSON
    if text.startswith(")]}"):
        text = text.partition("\n")[2].lstrip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        if truncated and re.search(r'"version"\s*:\s*3', text[:4096]) and (
                '"mappings"' in text or '"sources"' in text):
            return MapInfo(sources=None, has_content='"sourcesContent"' in text)
        return None
    if not isinstance(data, dict) or "version" not in data:
        return None
    if "mappings" not in data and "sections" not in data:
        return None
    sources = data.get("sources")
    content = data.get("sourcesContent")
    return MapInfo(sources=len(sources) if isinstance(sources, list) else None,
                   has_content=isinstance(content, list) and any(content))


def map_reference(script: HttpResponse) -> str | None:
    """The URL a script names as its map: ``SourceMap`` header, else the last comment."""
    header = script.header("sourcemap") or script.header("x-sourcemap")
    if header:
        return header.strip()
    tail = script.text[-4096:]
    found = _MAP_COMMENT.findall(tail)
    return found[-1] if found else None


def inline_map(reference: str) -> MapInfo | None:
    """Facts of a ``data:application/json;base64,...`` map, or None."""
    if not reference.lower().startswith("data:"):
        return None
    meta_part, _, payload = reference[5:].partition(",")
    try:
        raw = (base64.b64decode(payload, validate=False) if meta_part.endswith(";base64")
               else unquote(payload).encode())
    except (binascii.Error, ValueError):
        return None
    return parse_source_map(raw)


@dataclass(frozen=True, kw_only=True)
class ScriptMaps:
    """One script and the map URLs tried for it."""

    script: HttpResponse
    maps: tuple[tuple[str, HttpResponse], ...] = ()  # (how it was found, response)


@dataclass(frozen=True, kw_only=True)
class ExposureObs:
    """The page, a random path for comparison, the sensitive paths and the scripts' maps."""

    page: Page
    baseline: HttpResponse | None = None
    sensitive: tuple[tuple[Sensitive, HttpResponse], ...] = ()
    scripts: tuple[ScriptMaps, ...] = ()


def _same_as(resp: HttpResponse, baseline: HttpResponse | None) -> bool:
    return (baseline is not None and baseline.status == resp.status
            and baseline.body == resp.body)


def exposure_findings(obs: ExposureObs) -> list[Finding]:
    """SEC009 findings, one per sensitive path with recognised content."""
    rule = meta("SEC009")
    out = []
    for item, resp in obs.sensitive:
        if resp.status is None or not 200 <= resp.status < 300 or _same_as(resp, obs.baseline):
            continue
        seen = item.recognise(resp)
        if seen is None:
            continue
        out.append(make_finding(
            rule, target=resp.url, identity=item.path, severity=item.severity,
            title=f"Sensitive path publicly reachable: {item.path}",
            evidence=f"GET {item.path} → {resp.status}, {item.what}: {seen}",
            impact=(f"Anyone can download this {item.what}; whatever it holds (keys, "
                    "passwords, code, customer data) must be treated as public."),
            fix=fixes(
                lead=("Remove the file from the web root (deploy only the build output), "
                      "block dotfiles and backups at the edge, then rotate every credential "
                      "it contained"),
                nginx=(r"`location ~ /\.(?!well-known) { deny all; }` and "
                       r"`location ~* \.(sql|zip|tar\.gz|bak)$ { deny all; }`"),
                caddy=("`@hidden path /.* /*.sql /*.zip /*.tar.gz` and "
                       "`respond @hidden 404`"),
                cloudflare=("Security → WAF → Custom rule: block when URI Path contains "
                            "`/.` or ends with `.sql`/`.zip`"),
                vercel=("keep the file out of the output directory (`.vercelignore`)"),
                netlify="keep it out of the publish directory",
                python=("serve only a dedicated static folder (Django `STATIC_ROOT`, "
                        "Starlette `StaticFiles(directory=\"dist\")`), never the project "
                        "root"))))
    return out


def source_map_findings(obs: ExposureObs) -> list[Finding]:
    """SEC004: one finding per page listing every reachable or inline source map."""
    listed: list[str] = []
    for item in obs.scripts:
        script_path = path_of(item.script.url)
        ref = map_reference(item.script)
        if ref is not None:
            info = inline_map(ref)
            if info is not None:
                listed.append(f"{script_path} embeds an inline map{_described(info)}")
        for how, resp in item.maps:
            if resp.status is None or not 200 <= resp.status < 300:
                continue
            info = parse_source_map(resp.body, truncated=resp.truncated)
            if info is not None:
                listed.append(f"{path_of(resp.url)} ({how}){_described(info)}")
                break
    if not listed:
        return []
    n = len(listed)
    shown_list = "; ".join(listed[:5]) + (f"; and {n - 5} more" if n > 5 else "")
    return [make_finding(
        meta("SEC004"), target=obs.page.url, identity="source-maps",
        evidence=f"{n} public source map{'s' if n != 1 else ''}: {shown_list}",
        impact=("Anyone can read the original front-end source, comments and internal API "
                "routes, and secrets pasted into it."),
        fix=fixes(
            lead=("Build without public maps — Vite `build: { sourcemap: \"hidden\" }`, "
                  "webpack `devtool: \"hidden-source-map\"`, Next.js "
                  "`productionBrowserSourceMaps: false` — upload them to the error tracker, "
                  "and delete *.map from the deployed files"),
            nginx="`location ~* \\.map$ { return 404; }`",
            caddy="`@maps path *.map` and `respond @maps 404`",
            cloudflare="WAF custom rule: block when URI Path ends with `.map`",
            vercel=("delete maps after the build (`rm -f dist/**/*.map` in the build "
                    "command)"),
            netlify="`[[redirects]] from = \"/*.map\" to = \"/404\" status = 404 force = true`",
            python=("exclude *.map when collecting static files (WhiteNoise serves whatever "
                    "is in STATIC_ROOT)")))]


def _described(info: MapInfo) -> str:
    parts = []
    if info.sources is not None:
        parts.append(f"{info.sources} source file{'s' if info.sources != 1 else ''}")
    if info.has_content:
        parts.append("sourcesContent included")
    return f", {', '.join(parts)}" if parts else ""


# --- the family ----------------------------------------------------------------------------------

def _map_candidates(script: HttpResponse, page: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    ref = map_reference(script)
    if ref is not None and not ref.lower().startswith("data:"):
        url = urljoin(script.url, ref)
        if urlsplit(url).scheme in ("http", "https") and same_origin(url, page):
            out.append(("named by sourceMappingURL", url.split("#", 1)[0]))
    guess = script.url.split("?", 1)[0].split("#", 1)[0] + ".map"
    if guess not in (u for _, u in out):
        out.append(("next to the script", guess))
    return out


class ExposureChecks(CheckFamily[ExposureObs]):
    """SEC009 sensitive paths and SEC004 source maps on the canonical host."""

    rule_ids = ("SEC004", "SEC009")

    def skip_reason(self, ctx: Context) -> str | None:
        if page_url(ctx.config.app) is None:
            return "no [app] canonical or domain to check (set canonical = \"https://...\")"
        return None

    async def gather(self, ctx: Context) -> ExposureObs:
        http = ctx.probes.http
        page = await fetch_page(http, page_url(ctx.config.app) or "")
        base = page.url if page.ok else page.start
        # a path that cannot exist: whatever it returns is what "not there" looks like here
        random_path = f"/launchready-{secrets.token_hex(8)}"
        baseline, *answers = await asyncio.gather(
            http.fetch(site_url(base, random_path), max_body=SENSITIVE_CAP),
            *(http.fetch(site_url(base, s.path), max_body=SENSITIVE_CAP) for s in SENSITIVE))
        scripts: list[ScriptMaps] = []
        if page.ok:
            urls = [u for u in page.refs().scripts if same_origin(u, page.url)][:MAX_ASSETS]
            fetched = await asyncio.gather(*(http.fetch(u) for u in urls))
            for script in fetched:
                if script.status is None or not 200 <= script.status < 300:
                    continue
                candidates = _map_candidates(script, page.url)
                maps = await asyncio.gather(*(http.fetch(u) for _, u in candidates))
                scripts.append(ScriptMaps(script=script, maps=tuple(
                    (how, resp) for (how, _), resp in zip(candidates, maps, strict=True))))
        return ExposureObs(page=page, baseline=baseline,
                           sensitive=tuple(zip(SENSITIVE, answers, strict=True)),
                           scripts=tuple(scripts))

    def evaluate(self, obs: ExposureObs, ctx: Context) -> Outcome:
        if not obs.page.ok and all(r.status is None for _, r in obs.sensitive):
            reason = f"could not fetch the site: {failure_reason(obs.page.final)}"
            return Outcome(errors={"SEC004": reason, "SEC009": reason})
        return Outcome(findings=(*exposure_findings(obs), *source_map_findings(obs)))

