"""Which hostnames and URLs the redirect/TLS matrix visits (pure functions of the config).

Hostnames, in this order, each once:

1. the apex (``[app] domain``);
2. ``www.`` + the apex;
3. the host of ``[app] canonical``;
4. every ``[[dns.records]]`` name of type A, AAAA or CNAME: ``@`` is the apex, a bare ``name``
   is ``name.<apex>``, a name ending in ``.`` or already ending in the apex is taken as written.
   Names that do not serve web are left out: wildcards (``*``), service labels (``_dmarc``),
   names that are the target of an MX, NS or SRV record in the same map, and mail/DNS labels
   (``mail``, ``smtp``, ``imap``, ``pop``/``pop3``, ``mx``/``mxN``, ``ns``/``nsN``).

Ports. HTTPS uses the canonical URL's port (443 by default) for every host. HTTP uses port 80,
except when ``--resolve`` / ``[network] resolve`` pins the host on ports that do not include 80:
then, if exactly one pinned port differs from the HTTPS port, plain HTTP is tried there. This is
what a staging or test setup with ``--resolve app.example:8443:ADDR --resolve
app.example:8080:ADDR`` means; in production nothing is pinned and the ports are 80 and 443.

Every host is tried as ``http://HOST[:port]/`` and ``https://HOST[:port]/`` (the canonical host's
HTTPS start is the canonical URL itself). Starts that redirect are tried again with
:data:`PROBE_PATH` to see whether path and query survive the redirects (WEB003).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

#: path and query used to test that redirects keep deep links intact
PROBE_PATH = "/launchready-probe?x=1"

_NON_WEB_LABELS = frozenset({"mail", "smtp", "imap", "pop", "pop3", "mx", "ns", "autoconfig"})
_WEB_TYPES = frozenset({"A", "AAAA", "CNAME"})
_TARGET_TYPES = frozenset({"MX", "NS", "SRV"})


class Role(enum.StrEnum):
    """Why a hostname is in the matrix (a host may have several roles)."""

    APEX = "apex"
    WWW = "www"
    CANONICAL = "canonical"
    MAPPED = "mapped"


@dataclass(frozen=True, kw_only=True)
class Start:
    """One row of the matrix: a hostname tried over one scheme."""

    host: str
    roles: frozenset[Role]
    scheme: str  # "http" or "https"
    port: int
    url: str

    @property
    def probe_url(self) -> str:
        """The same origin with :data:`PROBE_PATH`."""
        return origin_url(self.scheme, self.host, self.port) + PROBE_PATH


@dataclass(frozen=True, kw_only=True)
class MatrixPlan:
    """Every start, and the canonical origin they should end on."""

    starts: tuple[Start, ...]
    canonical: str | None  # the canonical URL as configured
    canonical_origin: tuple[str, str, int] | None  # (scheme, host, port)
    apex: str | None

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every hostname of the plan, in plan order."""
        return tuple(dict.fromkeys(s.host for s in self.starts))


class _Record(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def values(self) -> Sequence[str]: ...


class _App(Protocol):
    @property
    def domain(self) -> str | None: ...

    @property
    def canonical(self) -> str | None: ...


class _Dns(Protocol):
    @property
    def records(self) -> Sequence[_Record]: ...


class PlanConfig(Protocol):
    """The parts of the config the plan reads."""

    @property
    def app(self) -> _App: ...

    @property
    def dns(self) -> _Dns | None: ...


def _clean(host: str) -> str:
    return host.strip().rstrip(".").lower()


def origin_url(scheme: str, host: str, port: int) -> str:
    """``scheme://host`` with ``:port`` unless it is the scheme's default."""
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"


def url_origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, or None when it is not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, _clean(parts.hostname), port or (443 if scheme == "https" else 80)


def record_host(name: str, apex: str | None) -> str | None:
    """The hostname a record name stands for, or None when it cannot be placed."""
    raw = name.strip().lower()
    if raw in ("@", ""):
        return apex
    if raw.endswith("."):
        return _clean(raw)
    if apex is None:
        return None
    if raw == apex or raw.endswith("." + apex):
        return raw
    return f"{raw}.{apex}"


def _serves_web(host: str, apex: str | None, targets: frozenset[str]) -> bool:
    if host in targets:
        return False
    label = host.removesuffix("." + apex) if apex and host.endswith("." + apex) else host
    first = label.split(".")[0]
    if first.startswith("_") or "*" in first:
        return False
    stem = first.rstrip("0123456789")
    return first not in _NON_WEB_LABELS and stem not in ("mx", "ns")


def mapped_hosts(config: PlanConfig) -> tuple[str, ...]:
    """Hostnames of A/AAAA/CNAME records in the map that should serve web."""
    if config.dns is None:
        return ()
    apex = _clean(config.app.domain) if config.app.domain else None
    targets = frozenset(
        _clean(v.split()[-1]) for r in config.dns.records if r.type in _TARGET_TYPES
        for v in r.values if v.split())
    out: list[str] = []
    for record in config.dns.records:
        if record.type not in _WEB_TYPES:
            continue
        host = record_host(record.name, apex)
        if host and _serves_web(host, apex, targets) and host not in out:
            out.append(host)
    return tuple(out)


def https_port_of(canonical: str | None) -> int:
    """The canonical URL's port when it is an https URL, else 443."""
    origin = url_origin(canonical) if canonical else None
    if origin is None or origin[0] != "https":
        return 443
    return origin[2]


def http_port_for(host: str, https_port: int, resolve: Mapping[tuple[str, int], str]) -> int:
    """Port 80, or the one non-HTTPS port ``--resolve`` pins ``host`` on (module docstring)."""
    pinned = {port for (name, port) in resolve if _clean(name) == host}
    if not pinned or 80 in pinned:
        return 80
    others = sorted(pinned - {https_port})
    return others[0] if len(others) == 1 else 80


def matrix_plan(config: PlanConfig, resolve: Mapping[tuple[str, int], str]) -> MatrixPlan:
    """The starts for this config (see the module docstring for the rules)."""
    apex = _clean(config.app.domain) if config.app.domain else None
    canonical = config.app.canonical
    canonical_origin = url_origin(canonical) if canonical else None
    roles: dict[str, set[Role]] = {}

    def add(host: str | None, role: Role) -> None:
        if host:
            roles.setdefault(host, set()).add(role)

    add(apex, Role.APEX)
    add(f"www.{apex}" if apex else None, Role.WWW)
    add(canonical_origin[1] if canonical_origin else None, Role.CANONICAL)
    for host in mapped_hosts(config):
        add(host, Role.MAPPED)
    https_port = https_port_of(canonical)
    starts: list[Start] = []
    for host, host_roles in roles.items():
        frozen = frozenset(host_roles)
        http_port = http_port_for(host, https_port, resolve)
        starts.append(Start(host=host, roles=frozen, scheme="http", port=http_port,
                            url=origin_url("http", host, http_port) + "/"))
        https_url = origin_url("https", host, https_port) + "/"
        if (canonical and canonical_origin is not None
                and canonical_origin == ("https", host, https_port)):
            https_url = canonical
        starts.append(Start(host=host, roles=frozen, scheme="https", port=https_port,
                            url=https_url))
    return MatrixPlan(starts=tuple(starts), canonical=canonical,
                      canonical_origin=canonical_origin, apex=apex)
