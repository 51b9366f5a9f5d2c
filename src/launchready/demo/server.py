"""Serve the Acme Dashboard on 127.0.0.1 over HTTPS (throwaway CA) and plain HTTP.

``start_site()`` makes a :class:`~launchready.demo.ca.ThrowawayCA`, writes its root to
``workdir/ca.pem``, issues one certificate for every demo hostname, seeds the database at
``workdir/acme.db`` and starts two listeners on ephemeral ports:

* HTTPS serving the app (:func:`launchready.demo.app.make_app`) with host-based routing on the
  ``Host`` header (port stripped);
* plain HTTP that only redirects to HTTPS.

Clients reach the hostnames through ``DemoSite.resolve`` (curl ``HOST:PORT:127.0.0.1`` pins) and
trust the certificate through ``DemoSite.ca_bundle``. The first hostname is the apex; the first
``app.`` hostname is canonical (the apex when there is none); ``www.`` + apex is the www name.

Deliberate host-level flaws (``fixed=False``) and their repaired form (``fixed=True``); the
app's own flaws are listed in :mod:`launchready.demo.app`:

    8. HTTP→HTTPS redirect changes host (TLS007). Flawed: every ``http://HOST/path`` answers
       ``301 Location: https://<canonical>/path`` in one hop, so ``http://acme.test`` never
       reaches ``https://acme.test`` and HSTS cannot be set for the apex. Fixed:
       ``301 Location: https://HOST/path`` (same host, path and query kept); the HTTPS apex then
       redirects to the canonical host: two hops at most.
    9. Apex/www inconsistency (WEB001). Flawed: ``https://www.acme.test`` serves the full app while
       the apex redirects to ``https://app.acme.test``: two hosts serve the same content. Fixed:
       both apex and www answer ``301`` to the canonical URL, keeping path and query.

In both modes any other name in the certificate redirects to the canonical host, and a
``Host`` the site does not serve gets ``421 Misdirected Request``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from launchready.demo.app import make_app
from launchready.demo.ca import ThrowawayCA

__all__ = ["DEFAULT_HOSTNAMES", "DemoSite", "start_site"]

DEFAULT_HOSTNAMES: tuple[str, ...] = ("acme.test", "www.acme.test", "app.acme.test")
_LOOPBACK = "127.0.0.1"


def _request_host(request: web.Request) -> str:
    """The ``Host`` header's name, lower-cased, without port or trailing dot."""
    value = request.headers.get("Host", "").strip().lower()
    # An IPv6 literal keeps its colons inside brackets: [::1]:8443
    name = value[1:].partition("]")[0] if value.startswith("[") else value.partition(":")[0]
    return name.rstrip(".")


def _origin(scheme: str, host: str, port: int) -> str:
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"


@dataclass(kw_only=True)
class _Ports:
    """Filled in once the listeners are bound; read by the routing code at request time."""

    https: int = 0
    http: int = 0


@dataclass(frozen=True, kw_only=True)
class _Names:
    ordered: tuple[str, ...]
    apex: str
    www: str | None
    canonical: str
    all: frozenset[str]


def _names(hostnames: Sequence[str]) -> _Names:
    cleaned = list(dict.fromkeys(h.strip().lower().rstrip(".") for h in hostnames))
    if not cleaned or any(not h for h in cleaned):
        raise ValueError("hostnames must be a non-empty list of DNS names")
    apex = cleaned[0]
    canonical = next((h for h in cleaned if h.startswith("app.")), apex)
    www = f"www.{apex}" if f"www.{apex}" in cleaned else None
    return _Names(ordered=tuple(cleaned), apex=apex, www=www, canonical=canonical,
                  all=frozenset(cleaned))


def _misdirected(host: str) -> web.HTTPMisdirectedRequest:
    return web.HTTPMisdirectedRequest(text=f"this server does not serve {host or 'that host'}\n")


def _https_routing(*, fixed: bool, names: _Names, ports: _Ports) -> Middleware:
    @web.middleware
    async def route_by_host(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = _request_host(request)
        if host == names.canonical:
            return await handler(request)
        if host == names.www and not fixed:
            # Flaw 9: www serves the app itself instead of sending users to the canonical host.
            return await handler(request)
        if host in names.all:
            target = _origin("https", names.canonical, ports.https) + request.rel_url.raw_path_qs
            raise web.HTTPMovedPermanently(location=target)
        raise _misdirected(host)

    return route_by_host


def _http_redirector(*, fixed: bool, names: _Names, ports: _Ports) -> web.Application:
    async def redirect(request: web.Request) -> web.StreamResponse:
        host = _request_host(request)
        if host not in names.all:
            raise _misdirected(host)
        # Flaw 8: the flawed site jumps straight to the canonical host, skipping https://HOST.
        target_host = host if fixed else names.canonical
        target = _origin("https", target_host, ports.https) + request.rel_url.raw_path_qs
        raise web.HTTPMovedPermanently(location=target)

    async def hide_version(_: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "acme"

    app = web.Application()
    if fixed:
        app.on_response_prepare.append(hide_version)
    app.router.add_route("*", "/{tail:.*}", redirect)
    return app


@dataclass(frozen=True, kw_only=True)
class DemoSite:
    """A running demo: where it listens, how to reach and trust it, and how to stop it."""

    fixed: bool
    hostnames: tuple[str, ...]
    apex: str
    canonical_host: str
    https_port: int
    http_port: int
    ca_bundle: Path
    db_path: Path
    canonical: str  # e.g. https://app.acme.test:50123
    resolve: list[str]  # curl --resolve pins: HOST:PORT:127.0.0.1 for each host and both ports
    _runners: tuple[web.AppRunner, ...] = field(repr=False, compare=False)
    _stopped: list[bool] = field(default_factory=lambda: [False], repr=False, compare=False)

    def url(self, host: str | None = None, path: str = "/", *, https: bool = True) -> str:
        """The URL of ``path`` on ``host`` (default: the canonical host) via either listener."""
        scheme, port = ("https", self.https_port) if https else ("http", self.http_port)
        return _origin(scheme, host or self.canonical_host, port) + path

    async def stop(self) -> None:
        """Stop both listeners and run the app's cleanup; calling it again does nothing."""
        if self._stopped[0]:
            return
        self._stopped[0] = True
        for runner in reversed(self._runners):
            await runner.cleanup()

    async def __aenter__(self) -> DemoSite:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()


def _prepare_tls(workdir: Path, names: _Names) -> tuple[Path, ssl.SSLContext]:
    """Make the CA, write ``ca.pem`` and the site's certificate, return the server context."""
    workdir.mkdir(parents=True, exist_ok=True)
    ca = ThrowawayCA("Acme demo throwaway root")
    ca_bundle = ca.write_root(workdir / "ca.pem")
    cert_path, key_path = ca.issue(names.ordered).write(workdir, "site")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(cert_path, key_path)
    return ca_bundle, tls


def _bound_port(runner: web.AppRunner) -> int:
    port = runner.addresses[0][1]
    if not isinstance(port, int):
        raise TypeError(f"unexpected socket address {runner.addresses[0]!r}")
    return port


async def start_site(*, fixed: bool, workdir: Path, password: str,
                     hostnames: Sequence[str] = DEFAULT_HOSTNAMES,
                     invoices: int = 50_000) -> DemoSite:
    """Start the demo (flawed or ``fixed``) on 127.0.0.1; files go under ``workdir``.

    ``password`` is the demo user's (``demo@acme.test``) password. ``invoices`` sizes the
    invoices table (see :func:`launchready.demo.app.make_app`). Stop the site with
    ``await site.stop()`` or use it as ``async with``.
    """
    names = _names(hostnames)
    ca_bundle, tls = await asyncio.to_thread(_prepare_tls, workdir, names)

    ports = _Ports()
    db_path = workdir / "acme.db"
    app = make_app(fixed=fixed, db_path=db_path, password=password, invoices=invoices,
                   middlewares=[_https_routing(fixed=fixed, names=names, ports=ports)])
    runners: list[web.AppRunner] = []
    try:
        https_runner = web.AppRunner(app, access_log=None)
        runners.append(https_runner)
        await https_runner.setup()
        await web.TCPSite(https_runner, _LOOPBACK, 0, ssl_context=tls).start()
        ports.https = _bound_port(https_runner)

        http_runner = web.AppRunner(_http_redirector(fixed=fixed, names=names, ports=ports),
                                    access_log=None)
        runners.append(http_runner)
        await http_runner.setup()
        await web.TCPSite(http_runner, _LOOPBACK, 0).start()
        ports.http = _bound_port(http_runner)
    except BaseException:
        for runner in reversed(runners):
            with contextlib.suppress(Exception):
                await runner.cleanup()
        raise

    return DemoSite(
        fixed=fixed,
        hostnames=names.ordered,
        apex=names.apex,
        canonical_host=names.canonical,
        https_port=ports.https,
        http_port=ports.http,
        ca_bundle=ca_bundle,
        db_path=db_path,
        canonical=_origin("https", names.canonical, ports.https),
        resolve=[f"{host}:{port}:{_LOOPBACK}" for host in names.ordered
                 for port in (ports.https, ports.http)],
        _runners=tuple(runners),
    )
