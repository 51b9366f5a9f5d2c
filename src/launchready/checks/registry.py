"""The one explicit table of built-in check families (each covers catalog IDs)."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Sequence
from typing import Any

from launchready.checks.base import CheckFamily
from launchready.checks.db.queries import DatabaseChecks
from launchready.checks.deploy import CleanBuildChecks, RollbackChecks
from launchready.checks.dns import (
    ApexChecks,
    CaaChecks,
    EnvironmentChecks,
    ProviderChecks,
    RecordChecks,
    TakeoverChecks,
)
from launchready.checks.env.contract import EnvContractChecks
from launchready.checks.env.timeouts import OutboundTimeoutChecks
from launchready.checks.mail import (
    DkimChecks,
    DmarcChecks,
    MessageVerification,
    MtaStsChecks,
    MxChecks,
    SpfChecks,
)
from launchready.checks.obs import AlertDeliveryChecks, HealthEndpointChecks, MonitorCoverageChecks
from launchready.checks.perf.latency import PerfChecks
from launchready.checks.secrets.bundle import BundleSecrets
from launchready.checks.secrets.config_literals import ConfigLiteralCredentials
from launchready.checks.secrets.logs import LogSecrets
from launchready.checks.secrets.repo import RepoSecrets
from launchready.checks.smoke.flow import SmokeChecks
from launchready.checks.tls.certificate import CertificateChecks
from launchready.checks.web.caching import AssetCachingChecks, AuthCachingChecks
from launchready.checks.web.cookies import CookieChecks
from launchready.checks.web.cors import CorsChecks
from launchready.checks.web.errors import ErrorPageChecks
from launchready.checks.web.exposure import ExposureChecks
from launchready.checks.web.headers import HeaderChecks
from launchready.checks.web.matrix import RedirectMatrix
from launchready.checks.web.protocols import ProtocolVersions

FAMILIES: tuple[Callable[[], CheckFamily[Any]], ...] = (
    CertificateChecks,
    ProtocolVersions,
    RedirectMatrix,
    HeaderChecks,
    AssetCachingChecks,
    AuthCachingChecks,
    CookieChecks,
    CorsChecks,
    ErrorPageChecks,
    ExposureChecks,
    RepoSecrets,
    BundleSecrets,
    LogSecrets,
    ConfigLiteralCredentials,
    RecordChecks,
    ApexChecks,
    TakeoverChecks,
    ProviderChecks,
    CaaChecks,
    EnvironmentChecks,
    SmokeChecks,
    PerfChecks,
    HealthEndpointChecks,
    MonitorCoverageChecks,
    AlertDeliveryChecks,
    EnvContractChecks,
    OutboundTimeoutChecks,
    SpfChecks,
    DkimChecks,
    DmarcChecks,
    MxChecks,
    MtaStsChecks,
    MessageVerification,
    DatabaseChecks,
    CleanBuildChecks,
    RollbackChecks,
)


def families(prefixes: Sequence[str] = (), *, areas: Sequence[str] = (),
             **options: Any) -> list[CheckFamily[Any]]:
    """One instance of each built-in family, in table order, that has a rule ID starting with
    one of ``prefixes`` and lives in one of ``areas`` (``checks/<area>/``); empty means all.

    ``options`` go to the families whose constructor takes them (e.g. ``authoritative`` and
    ``ns_port`` for ``dns --authoritative``), so no other list of families is needed.
    """
    out: list[CheckFamily[Any]] = []
    for make in FAMILIES:
        if areas and area_of(make) not in areas:
            continue
        accepted = inspect.signature(make).parameters
        family = make(**{k: v for k, v in options.items() if k in accepted})
        if not prefixes or any(r.startswith(tuple(prefixes)) for r in family.rule_ids):
            out.append(family)
    return out


def area_of(make: Callable[[], CheckFamily[Any]]) -> str:
    """The area of a family: its package under ``launchready.checks`` (``web``, ``dns`` …)."""
    return str(getattr(make, "__module__", "")).split(".")[2]


def implemented_ids() -> frozenset[str]:
    """Catalog IDs some built-in family can produce."""
    return frozenset(rid for family in families() for rid in family.rule_ids)


def doc_of(rule_id: str) -> str | None:
    """The module docstring (What / Why / Fix / Pass / Fail) of the family owning ``rule_id``."""
    for make in FAMILIES:
        if rule_id in make().rule_ids:
            module = sys.modules[str(getattr(make, "__module__", ""))]
            return inspect.cleandoc(module.__doc__) if module.__doc__ else None
    return None
