"""The configuration schema (SPEC §3) as pydantic models.

Every section forbids unknown keys, so a typo is reported with its key path instead of being
ignored. Credential fields are ``SecretStr``: their values never appear in a repr, log or report.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from launchready.config import limits as caps
from launchready.config.browser_steps import BrowserStep
from launchready.config.captures import (
    CAPTURE_NAME,
    Capture,
    CaptureError,
    parse_capture,
    references,
)
from launchready.config.defaults import APP_NAME, NETWORK_TIMEOUT_S
from launchready.config.expect import Expectation, ExpectationError, parse_expectation
from launchready.config.types import http_url, parse_duration, parse_resolver, unique_names, upper


def _parse_exp(value: Any) -> Expectation:
    if isinstance(value, Expectation):
        return value
    if not isinstance(value, str):
        raise ValueError("an expectation is a string such as \"status == 200\"")
    try:
        return parse_expectation(value)
    except ExpectationError as exc:
        raise ValueError(f"bad expectation {value!r}: {exc}") from None


Expect = Annotated[Expectation, BeforeValidator(_parse_exp)]


class _Model(BaseModel):
    # validators are built when a model is first used, not when this module is imported:
    # only those a command validates are built (start-up time of every command)
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              populate_by_name=True, defer_build=True)


#: the environment names ``[app] environment`` and ``env --environment`` accept
ENVIRONMENTS = ("production", "preview", "staging", "development", "test")


def environment_name(value: str) -> str:
    """``value`` if it is one of :data:`ENVIRONMENTS`, else a ValueError with "did you mean"."""
    if value in ENVIRONMENTS:
        return value
    aliases = {"prod": "production", "live": "production", "dev": "development",
               "local": "development", "stage": "staging"}
    close = aliases.get(value.strip().lower()) or next(
        iter(difflib.get_close_matches(value.lower(), ENVIRONMENTS, n=1)), None)
    hint = f"did you mean {close!r}? " if close else ""
    raise ValueError(f"environment {value!r} is not one of {', '.join(ENVIRONMENTS)}; {hint}"
                     f"the name decides which rules apply")


class AppConfig(_Model):
    name: str = APP_NAME
    domain: str | None = None
    canonical: str | None = None
    environment: str = "production"

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, v: str) -> str:
        return environment_name(v)

    @field_validator("canonical")
    @classmethod
    def _https_url(cls, v: str | None) -> str | None:
        return None if v is None else http_url(v, "canonical")

    @field_validator("domain")
    @classmethod
    def _bare_domain(cls, v: str | None) -> str | None:
        if v is not None and ("/" in v or ":" in v):
            raise ValueError("domain is a bare name such as example.com (no scheme or path)")
        return v.rstrip(".").lower() if v else v


_RESOLVE = re.compile(r"^(?P<host>[^:\s]+):(?P<port>\d{1,5}):(?P<addr>\[[0-9a-fA-F:.]+\]|[^\s]+)$")


def parse_resolve(entry: str) -> tuple[str, int, str]:
    """curl-style ``HOST:PORT:ADDR`` -> (host, port, addr)."""
    m = _RESOLVE.match(entry.strip())
    if not m:
        raise ValueError(f"{entry!r} is not HOST:PORT:ADDR (e.g. app.example.com:443:127.0.0.1)")
    return m.group("host").lower(), int(m.group("port")), m.group("addr").strip("[]")


class NetworkConfig(_Model):
    resolver: str | None = None
    resolve: list[str] = Field(default_factory=list)
    ca_bundle: str | None = None
    timeout: float = Field(default=NETWORK_TIMEOUT_S, gt=0, le=300)

    @field_validator("resolver")
    @classmethod
    def _resolver(cls, v: str | None) -> str | None:
        if v is not None:
            parse_resolver(v)
        return v

    @field_validator("resolve")
    @classmethod
    def _resolve_entries(cls, v: list[str]) -> list[str]:
        for entry in v:
            parse_resolve(entry)
        return v

    def resolve_map(self) -> dict[tuple[str, int], str]:
        """``{(host, port): addr}`` from the ``resolve`` entries."""
        return {(h, p): a for h, p, a in (parse_resolve(e) for e in self.resolve)}


RecordType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS", "CAA", "SRV"]


class DnsRecordSpec(_Model):
    name: str
    type: RecordType
    values: list[str]
    ttl: int | None = None


class DnsConfig(_Model):
    provider: str | None = None
    records: list[DnsRecordSpec] = Field(default_factory=list)


class EmailConfig(_Model):
    domains: list[str] = Field(default_factory=list)
    senders: list[str] = Field(default_factory=list)
    dkim_selectors: list[str] = Field(default_factory=list)
    dmarc_min_policy: Literal["none", "quarantine", "reject"] = "quarantine"


class EnvConfig(_Model):
    environment_file: str | None = None
    required: list[str] = Field(default_factory=list)
    preview_file: str | None = None
    # where the app's code lives (relative to the config file): read for the env contract and
    # for outbound calls without timeouts (PERF005)
    source_paths: list[str] = Field(default_factory=lambda: ["."])
    public_prefixes: list[str] = Field(default_factory=lambda: [
        "NEXT_PUBLIC_", "VITE_", "REACT_APP_", "PUBLIC_", "NUXT_PUBLIC_", "EXPO_PUBLIC_"])


class SecretsConfig(_Model):
    paths: list[str] = Field(default_factory=lambda: ["."])
    history: bool = True
    bundles: list[str] = Field(default_factory=list)
    logs: list[str] = Field(default_factory=list)
    baseline: str | None = None
    #: globs of paths not scanned (added to the defaults: generated code, lockfiles, vendor/)
    exclude: list[str] = Field(default_factory=list)
    exclude_defaults: bool = True


HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
#: a method the smoke and perf tables may write in any case (``post``)
UpperMethod = Annotated[HttpMethod, BeforeValidator(upper)]


class SmokeStep(_Model):
    """One request of the smoke flow (see :mod:`launchready.smoke.runner`).

    ``capture`` maps names to captures (:mod:`launchready.config.captures`) that later steps use
    as ``${name}``; ``login``/``logout`` mark the flow's login and logout steps (default: the
    step named "login"/"logout"; without either, the first step is the login);
    ``follow_redirects`` follows up to 5 redirects by hand, never sending credentials, cookies
    or a body to another origin.
    """

    name: str = Field(min_length=1)
    method: UpperMethod = "GET"
    path: str
    # bodies and headers carry credentials: kept out of every repr
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    json_body: Any = Field(default=None, alias="json", repr=False)
    form: dict[str, str] | None = Field(default=None, repr=False)
    expect: list[Expect] = Field(default_factory=list)
    capture: dict[str, Capture] = Field(default_factory=dict)
    login: bool | None = None
    logout: bool | None = None
    follow_redirects: bool = False

    @field_validator("path")
    @classmethod
    def _relative_path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"path must start with / (it is joined to base_url), got {v!r}")
        return v

    @field_validator("capture", mode="before")
    @classmethod
    def _captures(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        parsed: dict[str, Any] = {}
        for name, spec in v.items():
            if not isinstance(name, str) or not CAPTURE_NAME.match(name) or name == "RUN_ID":
                raise ValueError(f"capture name {name!r} must be a name such as token or "
                                 f"csrf_token (letters, digits, _; not RUN_ID)")
            if isinstance(spec, Capture):
                parsed[name] = spec
                continue
            if not isinstance(spec, str):
                raise ValueError(f"capture {name!r} must be a string such as \"json.token\"")
            try:
                parsed[name] = parse_capture(spec)
            except CaptureError as exc:
                raise ValueError(f"capture {name!r}: {exc}") from None
        return parsed

    @model_validator(mode="after")
    def _one_body(self) -> SmokeStep:
        if self.json_body is not None and self.form is not None:
            raise ValueError(f"step {self.name!r} has both json and form; send one body")
        if self.login and self.logout:
            raise ValueError(f"step {self.name!r} cannot be both the login and the logout")
        return self


class SmokeConfig(_Model):
    """The smoke flow: steps run in order against ``base_url`` (default ``app.canonical``)."""

    base_url: str | None = None
    steps: list[SmokeStep] = Field(default_factory=list)
    # "browser": run the [[smoke.browser]] steps in headless Chromium instead of the HTTP steps
    mode: Literal["http", "browser"] = "http"
    browser: list[BrowserStep] = Field(default_factory=list)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        return http_url(v, "base_url").rstrip("/") if v is not None else v

    @model_validator(mode="after")
    def _flow(self) -> SmokeConfig:
        if self.mode == "browser" and not self.browser:
            raise ValueError('mode = "browser" needs [[smoke.browser]] steps')
        labels = [b.label for b in self.browser]
        for flag in ("login", "logout"):
            if sum(1 for b in self.browser if getattr(b, flag)) > 1:
                raise ValueError(f"only one browser step can set {flag} = true")
        if len(set(labels)) != len(labels):
            raise ValueError("browser step names must be unique; give repeated actions a name")
        unique_names((s.name for s in self.steps), "step names",
                     " (they name findings and measurements)")
        for flag in ("login", "logout"):
            flagged = [s.name for s in self.steps if getattr(s, flag)]
            if len(flagged) > 1:
                raise ValueError(f"only one step can set {flag} = true; got {flagged}")
        captured_later = {n for s in self.steps for n in s.capture}
        known: set[str] = {"RUN_ID"}
        for step in self.steps:
            used = references([step.path, step.headers, step.json_body, step.form])
            for name in sorted(used - known):
                if name in captured_later:
                    raise ValueError(f"step {step.name!r} uses ${{{name}}} before a step "
                                     f"captures it; move the capturing step earlier")
                if not name.isupper():
                    raise ValueError(f"step {step.name!r} uses ${{{name}}}, which no earlier "
                                     f"step captures; add capture = {{ {name} = "
                                     f"\"json.{name}\" }} to the step that returns it")
            known |= set(step.capture)
        return self

    def login_index(self) -> int | None:
        """Index of the login step: flagged, else named "login", else the first step.

        A first step with ``login = false`` opts out: the flow then has no login step.
        """
        found = self._role_index("login")
        if found is None and self.steps and self.steps[0].login is not False:
            return 0
        return found

    def logout_index(self) -> int | None:
        """Index of the logout step: flagged, else named "logout", else None."""
        return self._role_index("logout")

    def _role_index(self, role: str) -> int | None:
        for i, step in enumerate(self.steps):
            if getattr(step, role) is True:
                return i
        for i, step in enumerate(self.steps):
            if step.name.strip().lower() == role and getattr(step, role) is not False:
                return i
        return None


class PerfEndpoint(_Model):
    """One endpoint to measure; ``class`` picks the p95 budget (core 500 ms, heavy 1.5 s)."""

    name: str = Field(min_length=1)
    path: str
    endpoint_class: Literal["core", "heavy"] = Field(default="core", alias="class")
    method: UpperMethod = "GET"
    budget_ms: float | None = Field(default=None, gt=0, le=600_000)
    expect: list[Expect] = Field(default_factory=list)

    @field_validator("path")
    @classmethod
    def _origin_form(cls, v: str) -> str:
        if not v.startswith("/") or any(c in v for c in " \r\n"):
            raise ValueError(f"{v!r} is not a path such as /api/projects")
        return v

    @property
    def default_budget_ms(self) -> float:
        """The class budget: 500 ms for core reads, 1500 ms for heavy queries (SPEC §5)."""
        return 1500.0 if self.endpoint_class == "heavy" else 500.0

    @property
    def effective_budget_ms(self) -> float:
        """``budget_ms`` when set, else the class budget."""
        return self.budget_ms if self.budget_ms is not None else self.default_budget_ms


class PerfConfig(_Model):
    """``[perf]``: what to measure, how hard, and the hard caps that keep it a measurement.

    Closed model (default): ``requests`` per endpoint through ``concurrency`` connections.
    Open model: ``rate`` requests per second for ``duration``, latency from each request's
    scheduled send time. ``warmup`` requests per endpoint run first and are discarded. A login
    burst of ``burst`` concurrent logins (the smoke login step, or the step named
    ``burst_step``) feeds PERF004.
    Hosts other than loopback are loaded only when listed in ``allow_hosts`` or confirmed with
    ``confirm_load = true`` / ``--yes-load``.
    """

    base_url: str | None = None
    auth: Literal["smoke", "none"] = "none"
    model: Literal["closed", "open"] = "closed"
    requests: int = Field(default=200, ge=1, le=100_000)
    concurrency: int = Field(default=10, ge=1, le=1000)
    rate: float | None = Field(default=None, gt=0, le=20_000)
    duration: str = "30s"
    warmup: int = Field(default=20, ge=0, le=10_000)
    timeout: str | None = None
    max_regression: str = "20%"
    max_error_rate: str = "0%"
    burst: int = Field(default=0, ge=0, le=1000)
    burst_step: str | None = None
    allow_hosts: list[str] = Field(default_factory=list)
    confirm_load: bool = False
    baseline: str | None = None
    save_baseline: str | None = None
    endpoints: list[PerfEndpoint] = Field(default_factory=list)

    @field_validator("max_regression", "max_error_rate")
    @classmethod
    def _percent(cls, v: str) -> str:
        if not re.fullmatch(r"\d+(\.\d+)?%", v.strip()):
            raise ValueError(f"{v!r} is not a percentage such as \"20%\"")
        return v.strip()

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else http_url(v, "base_url")

    @field_validator("duration", "timeout")
    @classmethod
    def _durations(cls, v: str | None) -> str | None:
        if v is not None and parse_duration(v) <= 0:
            raise ValueError(f"{v!r} must be longer than 0s")
        return v

    @model_validator(mode="after")
    def _plan(self) -> PerfConfig:
        # the engine's hard caps, so the file is refused at load rather than at run time
        if self.duration_s > caps.MAX_DURATION_S:
            raise ValueError(f"duration {self.duration!r} is over the hard cap of "
                             f"{caps.MAX_DURATION_S:g}s")
        if self.timeout_s is not None and self.timeout_s > caps.MAX_TIMEOUT_S:
            raise ValueError(f"timeout {self.timeout!r} is over the hard cap of "
                             f"{caps.MAX_TIMEOUT_S:g}s")
        if self.model == "open" and self.rate is None:
            raise ValueError('model = "open" needs rate (requests per second), e.g. rate = 20')
        unique_names((e.name for e in self.endpoints), "endpoint names")
        return self

    @property
    def duration_s(self) -> float:
        """``duration`` in seconds."""
        return parse_duration(self.duration)

    @property
    def timeout_s(self) -> float | None:
        """``timeout`` in seconds, or None (then ``[network] timeout`` applies)."""
        return parse_duration(self.timeout) if self.timeout is not None else None

    @property
    def max_regression_ratio(self) -> float:
        """``max_regression`` as a fraction (``"20%"`` -> 0.2)."""
        return float(self.max_regression.rstrip("%")) / 100.0

    @property
    def max_error_ratio(self) -> float:
        """``max_error_rate`` as a fraction."""
        return float(self.max_error_rate.rstrip("%")) / 100.0


#: the monitor's name for the one duration grammar (``config.types``)
monitor_duration = parse_duration


def _numeric_host(what: str, host: str) -> None:
    """Refuse IPv4 spellings other than the dotted quad (``127.1``, ``2130706433``, ``0x7f.1``,
    ``0177.0.0.1``, ``0``): resolvers and URL parsers disagree on what they mean."""
    parts = host.rstrip(".").split(".")
    if not all(re.fullmatch(r"0x[0-9a-f]*|\d+", p, re.IGNORECASE) for p in parts):
        return
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError(f"{what}: {host!r} is not a dotted-quad IPv4 address; write the "
                         "address as four decimal numbers (e.g. 127.0.0.1)") from None


def _listen(value: str) -> str:
    host, sep, port = value.rpartition(":")
    # an empty HOST (":8787") is loopback, as the daemon reads it
    if not sep or not port.isdigit() or int(port) > 65535 or any(c.isspace() for c in host):
        raise ValueError(f"{value!r} is not HOST:PORT with a port from 0 to 65535 "
                         "(e.g. \"127.0.0.1:8787\")")
    return value


def _http_only(what: str, url: str) -> None:
    # SPEC §8 / RELIABILITY 4: file:, gopher:, ftp:, data:, javascript: are refused at load
    http_url(url, what)


MIN_INTERVAL_S = 1.0  # tests run 1–2 s intervals; production configs use 10–60 s
MIN_LEADER_LEASE_S = 3.0  # renewed every third of the lease: at least once a second
LOCATION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
MIN_REMINDER_S = 300.0  # reminders no more often than every 5 minutes


class MonitorCheck(_Model):
    """One ``[[monitor.checks]]`` entry.

    ``type`` is inferred: ``url`` -> http, ``flow`` -> flow (the ``[smoke]`` flow), ``record``
    -> dns, ``port`` without ``url`` -> tcp. ``headers`` carries credentials for an
    authenticated health endpoint (``Authorization = "Bearer ${HEALTH_TOKEN}"``) and is never
    shown. ``allow_networks`` names addresses or networks reachable even when otherwise
    refused (the only way to reach a cloud-metadata address, SPEC §8).
    """

    name: str = Field(min_length=1)
    type: Literal["http", "flow", "dns", "tcp"] | None = None
    url: str | None = None
    flow: str | None = None
    method: HttpMethod = "GET"
    headers: dict[str, SecretStr] = Field(default_factory=dict, repr=False)
    host: str | None = None  # dns: the name to resolve; tcp: host to connect to
    port: int | None = Field(default=None, ge=1, le=65535)
    record: RecordType | None = None  # dns record type
    values: list[str] = Field(default_factory=list)  # dns: expected values (any order)
    expect: list[Expect] = Field(default_factory=list)
    owner: str | None = None
    interval: str | None = None
    timeout: str | None = None
    failure_threshold: int | None = Field(default=None, ge=1, le=100)
    success_threshold: int | None = Field(default=None, ge=1, le=100)
    allow_private: bool | None = None
    allow_networks: list[str] = Field(default_factory=list)
    public: bool = False  # shown on the public status page (by name only)
    max_body: int | None = Field(default=None, ge=1024, le=64 << 20)
    locations: list[str] = Field(default_factory=list)  # subset of [monitor] locations; []: all

    @field_validator("interval", "timeout")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            monitor_duration(v)  # raises with the field's key path
        return v

    @model_validator(mode="after")
    def _one_target(self) -> MonitorCheck:
        kind = self.kind
        where = f"monitor check {self.name!r}"
        if kind == "http":
            if self.url is None or self.flow is not None:
                raise ValueError(f"{where} needs exactly one of url or flow")
            _http_only(where, self.url)
            _numeric_host(where, urlsplit(self.url).hostname or "")
        elif kind == "flow":
            if self.flow is None or self.url is not None:
                raise ValueError(f"{where} needs exactly one of url or flow")
        elif kind == "dns":
            if not self.host or self.record is None:
                raise ValueError(f'{where}: a dns check needs host and record, e.g. '
                                 f'host = "acme.example", record = "A"')
        elif not self.host or self.port is None:
            raise ValueError(f"{where}: a tcp check needs host and port")
        else:
            _numeric_host(where, self.host)
        for field_name in ("interval", "timeout"):
            value = getattr(self, field_name)
            if value is not None and monitor_duration(value) <= 0:
                raise ValueError(f"{where}: {field_name} must be longer than 0s")
        if self.interval is not None and monitor_duration(self.interval) < MIN_INTERVAL_S:
            raise ValueError(f"{where}: interval must be at least {MIN_INTERVAL_S:g}s")
        if (self.interval is not None and self.timeout is not None
                and monitor_duration(self.timeout) >= monitor_duration(self.interval)):
            raise ValueError(f"{where}: timeout {self.timeout} must be shorter than its "
                             f"interval {self.interval}, so runs never overlap")
        import ipaddress  # noqa: PLC0415

        for net in self.allow_networks:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"{where}: allow_networks entry {net!r} is not an address "
                                 f"or network such as 10.0.0.0/8") from None
        return self

    @property
    def kind(self) -> Literal["http", "flow", "dns", "tcp"]:
        """The check type, given or inferred."""
        if self.type is not None:
            return self.type
        if self.flow is not None:
            return "flow"
        if self.record is not None:
            return "dns"
        if self.url is None and self.port is not None:
            return "tcp"
        return "http"


class AlertRoute(_Model):
    """An alert destination: any URL apprise understands (``slack://``, ``mailto://``,
    ``json://``, ``msteams://``, ``pagerduty://``...). The URL is a credential: never shown."""

    url: SecretStr
    name: str | None = None


class MaintenanceWindow(_Model):
    """A planned window (UTC ISO 8601) during which failures raise no alert."""

    start: str
    end: str
    checks: list[str] = Field(default_factory=list)  # empty: every check

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        from datetime import datetime  # noqa: PLC0415

        try:
            start = datetime.fromisoformat(self.start)
            end = datetime.fromisoformat(self.end)
        except ValueError as exc:
            raise ValueError(f"maintenance window: {exc}; write e.g. "
                             f"2026-12-01T02:00:00Z") from None
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("maintenance window times need a zone, e.g. 2026-12-01T02:00:00Z")
        if end <= start:
            raise ValueError("maintenance window ends before it starts")
        return self


def _canary(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"monitor.canaries: {value!r} is not HOST:PORT (e.g. \"1.1.1.1:53\")")
    return value


class MonitorConfig(_Model):
    """``[monitor]``: defaults for every check, the store, alert routes and the status page."""

    interval: str = "30s"
    timeout: str | None = None  # default: min(10s, interval / 2)
    jitter: str | None = None  # default: min(10% of the interval, 5s)
    failure_threshold: int = Field(default=2, ge=1, le=100)
    success_threshold: int = Field(default=2, ge=1, le=100)
    reminder: str | None = None  # e.g. "1h"; at least 5m
    database: str = "sqlite:///launchready.db"
    listen: str = "127.0.0.1:8787"
    allow_private: bool = False
    max_body: int = Field(default=1 << 20, ge=1024, le=64 << 20)
    retention: str = "30d"  # hourly roll-ups are kept this long
    raw_retention: str = "48h"  # individual results are kept this long
    heartbeat_url: SecretStr | None = None  # dead-man's switch pinged after every round
    heartbeat_interval: str = "60s"
    # HOST:PORT reached by TCP connect to tell "the monitor lost its network" from "every
    # target is down"; [] never declares the monitor offline
    canaries: list[str] = Field(default_factory=list)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    checks: list[MonitorCheck] = Field(default_factory=list)
    alerts: list[AlertRoute] = Field(default_factory=list)
    # several nodes, one per location, sharing one PostgreSQL store (SPEC §7)
    locations: list[str] = Field(default_factory=list)
    quorum: int | None = Field(default=None, ge=1)  # default: majority of healthy locations
    leader_lease: str = "15s"  # how long a dead leader keeps the other nodes waiting

    @field_validator("interval", "timeout", "jitter", "reminder", "retention", "raw_retention",
                     "heartbeat_interval", "leader_lease")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            monitor_duration(v)  # raises with the field's key path
        return v

    @field_validator("listen")
    @classmethod
    def _listen_address(cls, v: str) -> str:
        return _listen(v)

    @model_validator(mode="after")
    def _valid(self) -> MonitorConfig:
        for key in ("interval", "timeout", "jitter", "reminder", "retention", "raw_retention",
                    "heartbeat_interval", "leader_lease"):
            value = getattr(self, key)
            if value is not None and monitor_duration(value) < 0:
                raise ValueError(f"monitor.{key} must not be negative")
        if monitor_duration(self.interval) < MIN_INTERVAL_S:
            raise ValueError(f"monitor.interval must be at least {MIN_INTERVAL_S:g}s")
        if self.reminder is not None and monitor_duration(self.reminder) < MIN_REMINDER_S:
            raise ValueError("monitor.reminder must be at least 5m (reminders are a nudge, "
                             "not a flood)")
        if self.timeout is not None and monitor_duration(self.timeout) >= monitor_duration(
                self.interval):
            raise ValueError("monitor.timeout must be shorter than monitor.interval")
        if not re.match(r"^(sqlite:///|postgres(ql)?://)", self.database):
            raise ValueError("monitor.database must start with sqlite:/// or postgresql://")
        if self.heartbeat_url is not None:
            _http_only("monitor.heartbeat_url", self.heartbeat_url.get_secret_value())
        unique_names((c.name for c in self.checks), "monitor check names")
        for canary in self.canaries:
            _canary(canary)
        self._valid_locations()
        return self

    @property
    def several_locations(self) -> bool:
        """True when nodes in more than one location share the store (leader election)."""
        return len(self.locations) > 1

    def check_locations(self, check: MonitorCheck) -> list[str]:
        """The locations that probe ``check``: its own list, or every configured one."""
        return list(check.locations or self.locations)

    def _valid_locations(self) -> None:
        for name in self.locations:
            if not LOCATION_NAME.match(name):
                raise ValueError(f"monitor.locations: {name!r} is not a location name "
                                 f"(letters, digits, '.', '_', '-'; e.g. \"eu-west\")")
        unique_names(self.locations, "monitor.locations")
        if self.several_locations and not self.database.startswith("postgres"):
            raise ValueError(
                f"monitor.database: {len(self.locations)} locations need a shared PostgreSQL "
                f"store (postgresql://...), not SQLite; or keep one location")
        if monitor_duration(self.leader_lease) < MIN_LEADER_LEASE_S:
            raise ValueError(f"monitor.leader_lease must be at least {MIN_LEADER_LEASE_S:g}s")
        if self.quorum is not None and self.quorum > max(len(self.locations), 1):
            raise ValueError(f"monitor.quorum = {self.quorum} is more than the "
                             f"{len(self.locations)} configured location(s) in "
                             f"monitor.locations")
        for check in self.checks:
            where = f"monitor check {check.name!r}: locations"
            if check.locations and not self.locations:
                raise ValueError(f"{where} needs [monitor] locations = [...] to name them")
            unique_names(check.locations, f"{where} names")
            unknown = [n for n in check.locations if n not in self.locations]
            if unknown:
                raise ValueError(f"{where}: {', '.join(map(repr, unknown))} not in "
                                 f"monitor.locations ({', '.join(self.locations)})")
            if self.quorum is not None and 0 < len(check.locations) < self.quorum:
                raise ValueError(f"{where}: probed from {len(check.locations)} location(s), "
                                 f"fewer than monitor.quorum = {self.quorum}, so it could "
                                 f"never be DOWN")


class HandoverConfig(_Model):
    owners: dict[str, str] = Field(default_factory=dict)
    admins: list[str] = Field(default_factory=list)
    credentials_stored_in: str | None = None


class DatabaseConfig(_Model):
    url: SecretStr
    queries: list[str] = Field(default_factory=list)
    log_file: str | None = None  # PostgreSQL log written with log_min_duration_statement
    slow_ms: float = Field(default=500.0, gt=0)  # DB001: mean time budget per statement
    large_table_rows: int = Field(default=10_000, ge=1)  # DB002: "large" starts here
    analyze: bool = False  # EXPLAIN ANALYZE executes the statement: opt-in only
    statement_timeout_ms: int = Field(default=5_000, ge=100, le=600_000)

    @field_validator("url")
    @classmethod
    def _scheme(cls, v: SecretStr) -> SecretStr:
        if not re.match(r"^(postgres|postgresql|sqlite)://", v.get_secret_value()):
            raise ValueError("url must start with postgresql:// or sqlite:///")
        return v


class WebConfig(_Model):
    """Web checks: a session for authenticated responses and extra error paths to probe."""

    auth_header: SecretStr | None = None  # "Authorization: Bearer ${WEB_TOKEN}"
    auth_cookie: SecretStr | None = None  # "acme_session=${WEB_COOKIE}"
    auth_paths: list[str] = Field(default_factory=list)  # e.g. ["/api/dashboard"]
    error_paths: list[str] = Field(default_factory=list)  # e.g. ["/api/debug/crash"]

    @field_validator("auth_header")
    @classmethod
    def _header_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and ":" not in v.get_secret_value():
            raise ValueError('auth_header is "Name: value", e.g. "Authorization: Bearer ${TOKEN}"')
        return v

    @field_validator("auth_paths", "error_paths")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        for path in v:
            if not path.startswith("/"):
                raise ValueError(f"paths start with /, got {path!r}")
        return v


class BuildConfig(_Model):
    """``launchready build`` and the DEPLOY checks: how the production build is made."""

    path: str | None = None  # the project folder (relative to the config file); default: its folder
    command: str | None = None  # default: detected from the framework
    install: str | None = None  # default: detected from the lockfile
    output: str | None = None  # the public directory the build writes; default: detected
    env_file: str | None = None  # default: [env] environment_file
    migrations: list[str] | None = None  # default: detected
    rollback: str | None = None  # the recorded way back
    timeout: str = "10m"  # the whole clean build, install included
    budget_kb: float | None = Field(default=None, gt=0)  # per entry file of the output

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, v: str) -> str:
        if not 1.0 <= parse_duration(v) <= 3600.0:
            raise ValueError("build.timeout must be between 1s and 1h")
        return v


class Config(_Model):
    """The whole configuration; sections left out are ``None`` (their checks are skipped)."""

    app: AppConfig = Field(default_factory=AppConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    dns: DnsConfig | None = None
    email: EmailConfig | None = None
    env: EnvConfig | None = None
    secrets: SecretsConfig | None = None
    smoke: SmokeConfig | None = None
    perf: PerfConfig | None = None
    monitor: MonitorConfig | None = None
    handover: HandoverConfig | None = None
    database: DatabaseConfig | None = None
    web: WebConfig | None = None
    build: BuildConfig | None = None
    # filled by the loader, not by the file
    source: str | None = Field(default=None, exclude=True)
    literal_credentials: tuple[str, ...] = Field(default=(), exclude=True)
    folder: Path | None = Field(default=None, exclude=True)  # the config file's folder

    @property
    def base_dir(self) -> Path:
        """The folder relative paths of the config are read against: the config file's
        (set once by the loader), else the working directory."""
        return self.folder or Path.cwd()
